"""Bitrix24 errors, translated at the seam into one exception with a retry decision."""

from __future__ import annotations

from inbox.domain.errors import InboxError

# Codes after which the same request may succeed later (nothing was executed).
RETRYABLE_CODES = frozenset(
    {"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT", "INTERNAL_SERVER_ERROR", "network_error"}
)


class Bitrix24Error(InboxError):
    """A failed Bitrix24 call: ``code`` is Bitrix24's own (may be empty), ``retryable`` ours."""

    status = 502
    code = "bitrix24_error"

    def __init__(
        self,
        remote_code: str,
        description: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.remote_code = remote_code
        self.description = description.replace("<br>", " ").strip()
        super().__init__(f"{remote_code or 'error'}: {self.description}".strip())
        self.retryable = remote_code in RETRYABLE_CODES if retryable is None else retryable
        self.retry_after = retry_after
