"""The SLA worker job: evaluates every open conversation's clocks, records each warning and
breach once, and pushes it live to the team's managers and the assignee.

A record's key is the conversation, the metric, the level and the moment the clock started,
so a restarted worker (or two workers) re-derives the same states from stored timestamps
and records nothing twice; a new wait (the customer wrote again after a reply) is a new key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

import structlog

from inbox.domain.clock import Clock
from inbox.domain.events import Event
from inbox.domain.models import Line
from inbox.domain.ports import EventPublisher
from inbox.services.reports.hours import BusinessCalendar
from inbox.services.sla.policy import ClockState, Level, SlaPolicy, clocks, policy_for

log = structlog.get_logger(__name__)
INTERVAL_S = 15.0


class SlaStore(Protocol):
    """What the monitor reads and writes (``inbox.store.sla.MongoSlaStore``)."""

    async def policy_docs(self) -> list[dict[str, Any]]: ...
    def open_rows(self) -> AsyncIterator[dict[str, Any]]: ...
    async def line(self, line_id: str) -> Line: ...
    async def team_lead(self, team_id: str) -> str | None: ...
    async def record(self, key: str, doc: dict[str, Any]) -> bool: ...


class Refresher(Protocol):
    async def refresh_changed(self, limit: int = ...) -> int: ...


def policy_of(doc: dict[str, Any]) -> SlaPolicy:
    return SlaPolicy.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


def record_key(conversation_id: str, state: ClockState) -> str:
    return f"{conversation_id}:{state.metric}:{state.level.value}:{state.since.isoformat()}"


class SlaMonitor:
    def __init__(
        self, store: SlaStore, publisher: EventPublisher, clock: Clock, refresher: Refresher
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._refresher = refresher

    async def states(self, row: dict[str, Any]) -> list[ClockState]:
        """The running clocks of one conversation (shown on it: time left or overdue by)."""
        policies = [policy_of(d) for d in await self._store.policy_docs()]
        policy = policy_for(policies, row["line_id"], row.get("priority", 0))
        if policy is None:
            return []
        line = await self._store.line(row["line_id"])
        calendar = BusinessCalendar.of(line.business_hours, line.timezone)
        return clocks(row, policy, calendar, self._clock.now())

    async def check(self) -> int:
        """One pass: refresh changed metrics, then record and push new warnings/breaches."""
        await self._refresher.refresh_changed()
        now = self._clock.now()
        policies = [policy_of(d) for d in await self._store.policy_docs()]
        if not policies:
            return 0
        calendars: dict[str, BusinessCalendar] = {}
        raised = 0
        async for row in self._store.open_rows():
            policy = policy_for(policies, row["line_id"], row.get("priority", 0))
            if policy is None:
                continue
            if row["line_id"] not in calendars:
                line = await self._store.line(row["line_id"])
                calendars[row["line_id"]] = BusinessCalendar.of(line.business_hours, line.timezone)
            for state in clocks(row, policy, calendars[row["line_id"]], now):
                if state.level is not Level.OK and await self._raise(row, policy, state, now):
                    raised += 1
        return raised

    async def _raise(
        self, row: dict[str, Any], policy: SlaPolicy, state: ClockState, now: datetime
    ) -> bool:
        key = record_key(row["_id"], state)
        doc = {
            "conversation_id": row["_id"],
            "line_id": row["line_id"],
            "team_id": row.get("team_id"),
            "assignee_id": row.get("assignee_id"),
            "policy_id": policy.id,
            **state.as_json(),
            "since": state.since,
            "due_at": state.due_at,
            "at": now,
        }
        if not await self._store.record(key, doc):
            return False  # raised before (a replay or a restart)
        data = {"policy_id": policy.id, **state.as_json()}
        await self._publisher.publish(self._event(f"sla.{state.level.value}", row, now, data))
        log.info(
            "sla_raised", conversation_id=row["_id"], metric=state.metric, level=state.level.value
        )
        if state.level is Level.WARNING and policy.warn_team_lead and row.get("team_id"):
            lead = await self._store.team_lead(row["team_id"])
            if lead is not None:
                escalated = Event(
                    type="sla.escalated",
                    at=now,
                    conversation_id=row["_id"],
                    line_id=row["line_id"],
                    team_id=row.get("team_id"),
                    assignee_id=lead,
                    data={**data, "to": lead},
                )
                await self._publisher.publish(escalated)
        return True

    @staticmethod
    def _event(kind: str, row: dict[str, Any], now: datetime, data: dict[str, Any]) -> Event:
        return Event(
            type=kind,
            at=now,
            conversation_id=row["_id"],
            line_id=row["line_id"],
            team_id=row.get("team_id"),
            assignee_id=row.get("assignee_id"),
            data=data,
        )
