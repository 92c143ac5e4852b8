"""Email: IMAP in (one connection per mailbox in the worker), SMTP out."""
