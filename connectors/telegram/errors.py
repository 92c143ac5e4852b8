"""Errors of the Telegram channel, and the translation of aiogram's errors::

TelegramPayloadError (ValidationFailed)   the webhook body is not a Telegram update
TelegramSetupError   (ValidationFailed)   getMe/setWebhook refused (bad token, bad URL)

Bot API errors on send become ``DeliveryError`` (see :func:`delivery_error`).
"""

from __future__ import annotations

from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from inbox.domain.errors import DeliveryError, ValidationFailed


class TelegramPayloadError(ValidationFailed):
    code = "invalid_payload"


class TelegramSetupError(ValidationFailed):
    code = "telegram_setup_failed"


def delivery_error(e: AiogramError) -> DeliveryError:
    """The hub's view of a failed Bot API call: retryable or not, and why, for the operator."""
    error: DeliveryError
    if isinstance(e, TelegramRetryAfter):
        error = DeliveryError(
            f"Telegram rate limit: retry after {e.retry_after} s",
            retryable=True,
            retry_after=float(e.retry_after),
        )
        error.code = "telegram_429"
    elif isinstance(e, TelegramForbiddenError):
        error = DeliveryError(
            f"The customer blocked the bot or deleted the account ({e.message})",
            retryable=False,
            contact_unreachable=True,
        )
        error.code = "telegram_403"
    elif isinstance(e, TelegramUnauthorizedError):
        error = DeliveryError(f"Telegram rejected the bot token ({e.message})", retryable=False)
        error.code = "telegram_401"
    elif isinstance(e, TelegramBadRequest | TelegramNotFound | TelegramMigrateToChat):
        error = DeliveryError(f"Telegram refused the message: {e.message}", retryable=False)
        error.code = "telegram_400"
    elif isinstance(e, TelegramServerError | TelegramNetworkError | ClientDecodeError):
        error = DeliveryError(f"Telegram is unavailable: {_describe(e)}", retryable=True)
        error.code = "telegram_unavailable"
    else:  # other API errors (409 conflict...) and unknown ones: try again later
        error = DeliveryError(f"Telegram error: {_describe(e)}", retryable=True)
        error.code = "telegram_error"
    return error


def _describe(e: AiogramError) -> str:
    if isinstance(e, TelegramAPIError):
        return e.message
    return str(e) or type(e).__name__
