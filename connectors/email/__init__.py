"""Email: IMAP in (one connection per mailbox in the worker), SMTP out."""

from connectors.email.connector import EmailConnector

__all__ = ["EmailConnector"]
