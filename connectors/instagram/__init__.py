"""Instagram Direct: Graph webhooks in (signed with the app secret), the Send API out."""

from connectors.instagram.connector import InstagramConnector

__all__ = ["InstagramConnector"]
