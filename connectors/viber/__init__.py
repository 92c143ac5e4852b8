"""Viber bots: REST Bot API implemented directly with aiohttp (the official SDK is unmaintained)."""

from connectors.viber.connector import ViberConnector

__all__ = ["ViberConnector"]
