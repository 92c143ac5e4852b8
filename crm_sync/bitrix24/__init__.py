"""Bitrix24 CRM adapter: REST over an incoming webhook URL or an OAuth app, with ``batch``."""

from crm_sync.bitrix24.adapter import Bitrix24Crm
from crm_sync.bitrix24.client import Bitrix24Client
from crm_sync.bitrix24.config import Bitrix24Config

__all__ = ["Bitrix24Client", "Bitrix24Config", "Bitrix24Crm"]
