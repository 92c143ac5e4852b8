"""Errors of the Viber channel and the meaning of Viber's ``status`` codes::

ViberPayloadError (PayloadRejected)   the callback body is not a Viber event
ViberSetupError   (ValidationFailed)   set_webhook refused (bad token, webhook unreachable)

Viber answers HTTP 200 with a non-zero ``status`` on failure; :func:`delivery_error` maps
each code to a retryable or permanent ``DeliveryError``.
"""

from __future__ import annotations

from inbox.domain.errors import DeliveryError, PayloadRejected, ValidationFailed


class ViberPayloadError(PayloadRejected):
    code = "invalid_payload"


class ViberSetupError(ValidationFailed):
    code = "viber_setup_failed"


# code: (what it means for the operator, retryable, the customer cannot be reached)
STATUS: dict[int, tuple[str, bool, bool]] = {
    1: ("invalid URL", False, False),
    2: ("the bot's auth token was rejected", False, False),
    3: ("Viber rejected the message as bad data", False, False),
    4: ("required data is missing", False, False),
    5: ("the customer is not registered on Viber", False, True),
    6: ("the customer is not subscribed to the bot", False, True),
    7: ("the bot account is blocked", False, False),
    8: ("the bot account was not found", False, False),
    9: ("the bot account is suspended", False, False),
    10: ("the bot's webhook is not set", False, False),
    11: ("the customer has no device that can receive this message", False, False),
    12: ("Viber rate limit (too many requests)", True, False),
    13: ("API version not supported", False, False),
    14: ("message type not supported by the customer's app", False, False),
    15: ("the bot account is not authorized", False, False),
}

RATE_LIMIT_RETRY_S = 60.0


def delivery_error(status: int, message: str | None) -> DeliveryError:
    meaning, retryable, unreachable = STATUS.get(status, ("unknown Viber error", True, False))
    reason = f"Viber: {meaning} (status {status}" + (f", {message})" if message else ")")
    error = DeliveryError(
        reason,
        retryable=retryable,
        retry_after=RATE_LIMIT_RETRY_S if status == 12 else None,
        contact_unreachable=unreachable,
    )
    error.code = f"viber_{status}"
    return error
