"""Errors of the Telegram channel, and the translation of aiogram's errors::

TelegramPayloadError (PayloadRejected)   the webhook body is not a Telegram update
TelegramSetupError   (ValidationFailed)   getMe/setWebhook refused (bad token, bad URL)

Bot API errors on send become ``DeliveryError`` (see ``send.delivery_error``).
"""

from __future__ import annotations

from inbox.domain.errors import PayloadRejected, ValidationFailed


class TelegramPayloadError(PayloadRejected):
    code = "invalid_payload"


class TelegramSetupError(ValidationFailed):
    code = "telegram_setup_failed"
