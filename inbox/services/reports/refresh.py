"""Keeps ``conversation_metrics`` current: recompute a conversation's row from its stored
timestamps whenever it changed. Idempotent, so a replay or a restart is harmless."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import NotFound
from inbox.domain.models import Line
from inbox.services.reports.hours import BusinessCalendar
from inbox.services.reports.metrics import compute
from inbox.services.reports.rows import metrics_doc
from inbox.services.reports.timeline import build

log = structlog.get_logger(__name__)

# Delivery statuses arrive after the conversation's last change: look back this far.
LOOKBACK = timedelta(minutes=15)
REFRESH_INTERVAL_S = 30.0  # how stale a report may be behind the conversations


class MetricsSource(Protocol):
    """What the refresher reads and writes (``inbox.store.reports.MongoMetricsStore``)."""

    async def conversation(self, conversation_id: str) -> dict[str, Any] | None: ...
    def changed_since(
        self, since: datetime | None, limit: int
    ) -> AsyncIterator[dict[str, Any]]: ...
    async def messages(self, conversation_id: str) -> list[dict[str, Any]]: ...
    async def line(self, line_id: str) -> Line: ...
    async def save(self, row: dict[str, Any]) -> None: ...
    async def watermark(self) -> datetime | None: ...
    async def set_watermark(self, at: datetime) -> None: ...


class MetricsRefresher:
    """Recomputes and stores per-conversation metrics."""

    def __init__(self, source: MetricsSource, clock: Clock) -> None:
        self._source = source
        self._clock = clock

    async def refresh(self, conversation_id: str) -> dict[str, Any] | None:
        """Recompute one conversation's row; None when the conversation is gone."""
        conversation = await self._source.conversation(conversation_id)
        if conversation is None:
            return None
        return await self._refresh(conversation, {})

    async def _refresh(
        self, conversation: dict[str, Any], calendars: dict[str, BusinessCalendar]
    ) -> dict[str, Any]:
        line_id = conversation["line_id"]
        if line_id not in calendars:
            line = await self._source.line(line_id)
            calendars[line_id] = BusinessCalendar.of(line.business_hours, line.timezone)
        messages = await self._source.messages(conversation["_id"])
        facts = build(messages, conversation.get("hops", ()), conversation.get("status_log", ()))
        row = metrics_doc(conversation, compute(facts, calendars[line_id]), self._clock.now())
        await self._source.save(row)
        return row

    async def refresh_changed(self, limit: int = 2000) -> int:
        """Recompute conversations changed since the last run (the worker's job)."""
        now = self._clock.now()
        mark = await self._source.watermark()
        since = mark - LOOKBACK if mark is not None else None
        calendars: dict[str, BusinessCalendar] = {}
        done = 0
        newest = now
        async for conversation in self._source.changed_since(since, limit):
            try:
                await self._refresh(conversation, calendars)
            except NotFound:
                log.warning("metrics_line_missing", conversation_id=conversation["_id"])
            done += 1
            newest = conversation["updated_at"]
        # A full batch leaves the rest to the next run; otherwise all up to now is done.
        await self._source.set_watermark(newest if done >= limit else now)
        return done
