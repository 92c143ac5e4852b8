"""Telegram bots: webhook updates in, Bot API (through aiogram) out."""

from connectors.telegram.connector import TelegramConnector

__all__ = ["TelegramConnector"]
