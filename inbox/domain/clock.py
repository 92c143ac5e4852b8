"""Time as a port: logic that depends on time takes a ``Clock`` so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, truncated to milliseconds (MongoDB's precision)."""

    def now(self) -> datetime:
        return truncate_ms(datetime.now(UTC))


class FrozenClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = truncate_ms(start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **kw: float) -> datetime:
        self._now = truncate_ms(self._now + timedelta(seconds=seconds, **kw))
        return self._now

    def set(self, when: datetime) -> None:
        self._now = truncate_ms(when)


def truncate_ms(value: datetime) -> datetime:
    """Drop sub-millisecond precision so a stored value compares equal after a round trip."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
