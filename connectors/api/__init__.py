"""The generic signed HTTP channel: any system posts JSON messages and receives replies."""

from connectors.api.connector import ApiConnector

__all__ = ["ApiConnector"]
