"""Renew the access tokens of lines whose platform tokens expire (Instagram: 60 days).

The worker runs :func:`refresh_line_tokens` periodically. A connector that can renew its
tokens (``TokenRefresher``) decides when one is due; a renewed line is stored at once. A
refusal is kept on the line (``token_refresh_error``, shown by ``inbox line show``),
logged as an error and pushed to admins and managers as a ``line.warning`` live event,
so someone renews the token by hand before messages stop.
"""

from __future__ import annotations

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import InboxError
from inbox.domain.events import Event
from inbox.domain.ports import ConnectorRegistry, EventPublisher, LineRepository, TokenRefresher
from inbox.services.live import BestEffort

log = structlog.get_logger(__name__)

INTERVAL_S = 3600.0


async def refresh_line_tokens(
    lines: LineRepository,
    connectors: ConnectorRegistry,
    publisher: EventPublisher,
    clock: Clock,
) -> int:
    """Renew every due token; the number renewed."""
    kinds = set(connectors.kinds())
    renewed = 0
    for line in await lines.list():
        if not line.enabled or line.kind not in kinds:
            continue
        connector = connectors.get(line.kind)
        if not isinstance(connector, TokenRefresher):
            continue
        try:
            fresh = await connector.refresh_token(line)
        except (InboxError, ValueError) as e:
            reason = e.message if isinstance(e, InboxError) else str(e)
            await _warn(lines, publisher, clock, line.id, reason)
            continue
        if fresh is not None:
            await lines.replace(fresh)
            renewed += 1
            log.info("line_token_renewed", line_id=line.id, channel=line.kind.value)
    return renewed


async def _warn(
    lines: LineRepository, publisher: EventPublisher, clock: Clock, line_id: str, reason: str
) -> None:
    now = clock.now()
    line = await lines.get(line_id)
    log.error("line_token_refresh_failed", line_id=line.id, reason=reason)
    settings = {
        **line.settings,
        "token_refresh_error": reason[:500],
        "token_refresh_failed_at": now.isoformat(),
    }
    await lines.replace(line.model_copy(update={"settings": settings}))
    message = (
        f"The access token of line {line.name!r} could not be renewed: {reason[:300]}. "
        "Renew it by hand before it expires, or messages on this line will stop."
    )
    # the warning is also logged and kept on the line: its live view is best effort
    await BestEffort(publisher).publish(
        Event(
            type="line.warning",
            at=now,
            line_id=line.id,
            data={"line_id": line.id, "line_name": line.name, "message": message},
        )
    )
