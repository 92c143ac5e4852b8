"""What a report covers: the filter the managers' reports and their CSV share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class MetricsFilter:
    """Conversations that started (first customer message) in ``[start, end)``, narrowed by
    line, team, channel and operator; ``audience`` is the caller's scope filter over the
    conversation fields ``team_id`` / ``assignee_id``."""

    start: datetime
    end: datetime
    line_id: str | None = None
    team_id: str | None = None
    channel: str | None = None
    operator_id: str | None = None
    audience: dict[str, Any] = field(default_factory=dict)
