"""Business hours and holidays of a line, in the line's time zone (pure functions).

A window ``start``-``end`` on a weekday is local time; ``end`` may be ``24:00``, and a
window whose end is not after its start runs past midnight into the next day. Holidays
are local ISO dates, closed all day. No windows at all means always open.

A time zone that cannot be used (a line stored before writes were validated) counts as
UTC here, so one such line can neither crash the router nor stop the others; the router
logs it (:mod:`routing.guard`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from inbox.domain.errors import ValidationFailed
from inbox.domain.line_checks import load_zone
from inbox.domain.models import BusinessHours


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def zone(name: str) -> ZoneInfo:
    found = load_zone(name)
    if found is None:
        raise ValidationFailed(f"unknown time zone {name[:80]!r}", code="bad_timezone")
    return found


def is_open(hours: BusinessHours, timezone: str, now: datetime) -> bool:
    """Whether the line takes chats at ``now`` (an aware datetime)."""
    local = now.astimezone(load_zone(timezone) or UTC)
    if local.date().isoformat() in hours.holidays:
        return False
    if not hours.windows:
        return True
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    for window in hours.windows:
        start, end = _minutes(window.start), _minutes(window.end)
        if end > start:
            if window.weekday == weekday and start <= minute < end:
                return True
        else:  # runs past midnight: the evening part today, the morning part tomorrow
            if window.weekday == weekday and minute >= start:
                return True
            if (window.weekday + 1) % 7 == weekday and minute < end:
                return True
    return False


def next_opening(
    hours: BusinessHours, timezone: str, now: datetime, *, horizon_days: int = 14
) -> datetime | None:
    """The first minute at or after ``now`` when the line is open; None if none is near."""
    if is_open(hours, timezone, now):
        return now
    probe = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(horizon_days * 24 * 60):
        if is_open(hours, timezone, probe):
            return probe
        probe += timedelta(minutes=1)
    return None
