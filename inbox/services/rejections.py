"""Record signed webhooks that cannot be stored, so that nobody has to read logs to learn
a platform sent something we refused (and the platform is not made to retry it forever).

Only the line, the time, the reason, the size and a SHA-256 of the body are kept: never
the body itself or any header, which may carry the line's secret.
"""

from __future__ import annotations

import hashlib

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import InboxError
from inbox.domain.inbound import RejectedWebhook
from inbox.domain.models import Line
from inbox.domain.ports import RejectedWebhookLog

log = structlog.get_logger(__name__)


class WebhookRejections:
    """The use-case "a signed webhook was refused": log it and keep a small record."""

    def __init__(self, *, log: RejectedWebhookLog, clock: Clock) -> None:
        self._log = log
        self._clock = clock

    async def record(self, line: Line, body: bytes, error: InboxError) -> RejectedWebhook:
        rejection = RejectedWebhook(
            line_id=line.id,
            channel=line.kind.value,
            code=error.code,
            reason=error.message,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            at=self._clock.now(),
        )
        log.warning(
            "webhook_rejected",
            line_id=line.id,
            code=rejection.code,
            reason=rejection.reason,
            size=rejection.size,
            sha256=rejection.sha256,
        )
        try:
            await self._log.record(rejection)
        except Exception:  # a request boundary: the answer must not depend on bookkeeping
            log.exception("webhook_rejection_not_recorded", line_id=line.id)
        return rejection
