"""Domain errors. One root, a shallow tree::

InboxError
├── NotFound               (404)
├── Conflict               (409)
├── ValidationFailed       (422)
│   └── PayloadRejected    a signed webhook we cannot store: recorded, and acknowledged
│                          to platforms that retry (see ``inbox.web.webhooks``)
├── Unauthorized           (401)  bad or missing credentials, bad webhook signature
├── Forbidden              (403)
├── PayloadTooLarge        (413)
├── UnsupportedMediaType   (415)
├── RateLimited            (429)
├── Unavailable            (503)  a backing service (Redis) is down; try again shortly
├── UnsupportedEvent       (acknowledged with 2xx and logged: platforms retry non-2xx)
├── DeliveryError          (outbound send failed; ``retryable`` says whether to try again)
└── StartupError           (an embedded server or a dependency could not start)
"""

from __future__ import annotations


class InboxError(Exception):
    """Root of every error the hub raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.__class__.__name__
        if code is not None:
            self.code = code


class NotFound(InboxError):
    status = 404
    code = "not_found"


class Conflict(InboxError):
    status = 409
    code = "conflict"


class ValidationFailed(InboxError):
    status = 422
    code = "validation_failed"


class PayloadRejected(ValidationFailed):
    """A correctly signed webhook body that cannot become stored data (malformed JSON,
    nesting, a field beyond what the store holds). Retrying cannot help, so the webhook
    edge records it and answers as the channel's connector says (2xx for platforms)."""

    code = "payload_rejected"


class Unauthorized(InboxError):
    status = 401
    code = "unauthorized"


class Forbidden(InboxError):
    status = 403
    code = "forbidden"


class PayloadTooLarge(InboxError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(InboxError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(InboxError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(InboxError):
    """A backing service does not answer; the request may be retried after ``retry_after``."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str = "", *, retry_after: float = 2.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnsupportedEvent(InboxError):
    """An event kind we do not handle: logged and acknowledged, never retried by the platform."""

    status = 200
    code = "unsupported_event"


class DeliveryError(InboxError):
    """An outbound message could not be delivered by the platform.

    ``retryable`` tells the sender whether to try again; ``retry_after`` (seconds) is the
    platform's own hint, when it gives one. ``permanent_reason`` is shown to the operator.
    """

    status = 502
    code = "delivery_failed"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        contact_unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.contact_unreachable = contact_unreachable


class StartupError(InboxError):
    code = "startup_failed"
