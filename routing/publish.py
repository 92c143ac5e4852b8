"""Live updates from routing: best effort, because the change they announce is stored."""

from __future__ import annotations

import structlog

from inbox.domain.events import Event
from inbox.domain.ports import EventPublisher

log = structlog.get_logger(__name__)


async def publish(publisher: EventPublisher, event: Event) -> None:
    """Publish ``event``; a failure is logged, never raised (the change is already stored)."""
    try:
        await publisher.publish(event)
    except Exception:  # live updates are best effort; the change is stored
        log.exception("routing_publish_failed", event_type=event.type)
