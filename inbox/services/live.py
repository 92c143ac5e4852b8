"""The one best-effort live publisher: the change is stored, the live view is a courtesy.

Every use-case gets its events out through :class:`BestEffort`, which logs a failed
publish (Redis down, a full stream) and carries on: a reply is stored and answered, a
status change kept, never a 500 for the person who made it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from inbox.domain.events import Event
from inbox.domain.ports import EventPublisher

log = structlog.get_logger(__name__)


class BestEffort:
    """An :class:`EventPublisher` that never raises; ``""`` when the publish failed."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def publish(self, event: Event) -> str:
        try:
            return await self._publisher.publish(event)
        except Exception:  # live updates are best effort; the data is already stored
            log.exception("event_publish_failed", event_type=event.type)
            return ""

    async def announce(self, build: Callable[[], Awaitable[Event]], kind: str) -> None:
        """Build an event (reading what it shows) and publish it; a failure only logs."""
        try:
            event = await build()
        except Exception:  # the change is stored; only its live view is lost
            log.exception("event_publish_failed", event_type=kind)
            return
        await self.publish(event)
