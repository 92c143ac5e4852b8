"""Errors of the Instagram channel and the meaning of Graph API error codes::

InstagramPayloadError (PayloadRejected)    the webhook body is not JSON / not an object
InstagramSetupError   (ValidationFailed)   a line without ig_id, tokens or app secret

Graph answers ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``;
:func:`delivery_error` maps it to a retryable or permanent ``DeliveryError`` with a reason
an operator can act on. The token is never part of a reason.
"""

from __future__ import annotations

from inbox.domain.errors import DeliveryError, PayloadRejected, ValidationFailed


class InstagramPayloadError(PayloadRejected):
    code = "invalid_payload"


class InstagramSetupError(ValidationFailed):
    code = "instagram_setup_failed"


RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80002, 80006})
RATE_LIMIT_RETRY_S = 60.0
TRANSIENT_CODES = frozenset({1, 2})  # "unknown error", "service temporarily unavailable"
# User unavailable: blocked the account, deleted, or restricted messages.
UNAVAILABLE_SUBCODES = frozenset({2534014, 2018001, 2018108, 1545041})


def delivery_error(
    http_status: int, code: int | None, subcode: int | None, message: str, what: str = "message"
) -> DeliveryError:
    """The hub's view of a failed Graph call: retryable or not, and why."""
    text = message[:300]
    retryable = False
    retry_after: float | None = None
    unreachable = False
    if code in RATE_LIMIT_CODES or http_status == 429:
        reason = f"Instagram rate limit, retrying later ({text})"
        retryable, retry_after = True, RATE_LIMIT_RETRY_S
    elif code == 10 or subcode == 2534022:
        reason = (
            "Instagram refused: outside the allowed window (the customer's last message "
            f"is too old for this reply) ({text})"
        )
    elif code == 190:
        reason = (
            "Instagram rejected the access token (expired or revoked): an admin must "
            f"renew it for this line ({text})"
        )
    elif code == 551 or subcode in UNAVAILABLE_SUBCODES:
        reason = f"The customer is unavailable on Instagram (blocked or deleted) ({text})"
        unreachable = True
    elif code in TRANSIENT_CODES or http_status >= 500:
        reason = f"Instagram is unavailable ({text})"
        retryable = True
    elif code == 200 or code == 3:
        reason = f"the app lacks the permission to send this ({text})"
    else:
        reason = f"Instagram refused the {what} ({text})"
    error = DeliveryError(
        reason, retryable=retryable, retry_after=retry_after, contact_unreachable=unreachable
    )
    error.code = f"instagram_{code}" if code is not None else f"instagram_http_{http_status}"
    return error


def refused(reason: str, code: str) -> DeliveryError:
    """A send the hub refuses before it leaves (the platform would refuse it anyway)."""
    error = DeliveryError(reason, retryable=False)
    error.code = code
    return error
