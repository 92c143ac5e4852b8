"""Omnichannel inbox hub for sales teams."""

__version__ = "0.1.0"
