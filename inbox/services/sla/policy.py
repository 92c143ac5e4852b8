"""SLA policies and the pure evaluation of one conversation's clocks against them.

A policy applies to a line and a priority (``priority`` None: any priority without a policy
of its own). Targets are seconds of business or calendar time. A clock runs:

- first response: while the customer waits for the first human reply of the cycle;
- next response: while the customer waits for a later human reply;
- resolution: while the cycle is open.

Its state is ``warning`` from ``warn_share`` of the target and ``breach`` from 100 %. The
clocks come from the precomputed metrics row (``inbox.services.reports``), itself derived
from stored timestamps, so a restart re-derives exactly the same states.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inbox.domain.ids import new_id
from inbox.services.reports.hours import BusinessCalendar


class SlaPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_id, max_length=64)
    line_id: str = Field(min_length=1, max_length=64)
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    first_response_s: int | None = Field(default=None, ge=1, le=400 * 86400)
    next_response_s: int | None = Field(default=None, ge=1, le=400 * 86400)
    resolution_s: int | None = Field(default=None, ge=1, le=400 * 86400)
    business_hours: bool = True
    warn_share: float = Field(default=0.8, gt=0, lt=1)
    warn_team_lead: bool = False  # escalation: a warning also goes to the team's manager

    @model_validator(mode="after")
    def _some_target(self) -> SlaPolicy:
        if not (self.first_response_s or self.next_response_s or self.resolution_s):
            raise ValueError("a policy needs at least one target")
        return self


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACH = "breach"


@dataclass(frozen=True)
class ClockState:
    metric: str  # first_response, next_response, resolution
    since: datetime
    due_at: datetime
    warn_at: datetime
    level: Level
    left_s: float  # business or calendar seconds left; negative: overdue by

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "since": self.since.isoformat(),
            "due_at": self.due_at.isoformat(),
            "warn_at": self.warn_at.isoformat(),
            "level": self.level.value,
            "left_s": round(self.left_s, 3),
        }


def policy_for(policies: Iterable[SlaPolicy], line_id: str, priority: int) -> SlaPolicy | None:
    """The policy of the line for this priority, else the line's catch-all (priority None)."""
    fallback = None
    for p in policies:
        if p.line_id != line_id:
            continue
        if p.priority == priority:
            return p
        if p.priority is None:
            fallback = p
    return fallback


def clocks(
    row: Mapping[str, Any], policy: SlaPolicy, calendar: BusinessCalendar, now: datetime
) -> list[ClockState]:
    """Every running clock of a conversation (its metrics row) under ``policy``."""
    if not row.get("open"):
        return []
    cal = calendar if policy.business_hours else BusinessCalendar(zone=calendar.zone)
    running: list[tuple[str, datetime, int]] = []
    waiting = row.get("waiting_since")
    if waiting is not None:
        target = policy.first_response_s if row.get("waiting_first") else policy.next_response_s
        name = "first_response" if row.get("waiting_first") else "next_response"
        if target:
            running.append((name, waiting, target))
    started = row.get("cycle_started_at")
    if started is not None and policy.resolution_s:
        running.append(("resolution", started, policy.resolution_s))
    out = []
    for name, since, target in running:
        since = since.astimezone(UTC)
        elapsed = cal.open_seconds(since, now)
        share = elapsed / target
        level = (
            Level.BREACH
            if share >= 1
            else Level.WARNING
            if share >= policy.warn_share
            else Level.OK
        )
        out.append(
            ClockState(
                metric=name,
                since=since,
                due_at=cal.add_open_seconds(since, target),
                warn_at=cal.add_open_seconds(since, target * policy.warn_share),
                level=level,
                left_s=target - elapsed,
            )
        )
    return out
