"""Business hours as a calendar: how many open seconds lie between two instants.

A line's hours are windows per weekday ("09:00"-"13:00" and "14:00"-"18:00" on the same
day are two windows); a window whose end is not after its start runs past midnight into
the next day and belongs to the day it starts on. Holidays (the line's own ISO dates plus
the public holidays of ``holiday_country`` from the maintained ``holidays`` library) close
every window that starts on them. Local times are resolved in the line's time zone on each
date, and durations are measured in UTC, so a window across a daylight-saving change
counts the hours that really passed (Kyiv's 22:00-06:00 on the last Saturday of March is
seven hours, not eight).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from inbox.domain.models import BusinessHours


def _hm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours) % 24, int(minutes))


@lru_cache(maxsize=256)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holiday_calendars.country_holidays(country, years=year).keys())
    except NotImplementedError:  # a code the library does not know: no public holidays
        return frozenset()


@dataclass(frozen=True)
class BusinessCalendar:
    """Open windows of one line. No windows at all means always open (calendar time)."""

    zone: ZoneInfo
    windows: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    own_holidays: frozenset[date] = frozenset()
    country: str | None = None

    @classmethod
    def of(cls, hours: BusinessHours, timezone: str) -> BusinessCalendar:
        windows: dict[int, list[tuple[time, time]]] = {}
        for w in hours.windows:
            windows.setdefault(w.weekday, []).append((_hm(w.start), _hm(w.end)))
        own = frozenset(date.fromisoformat(d) for d in hours.holidays)
        return cls(
            zone=ZoneInfo(timezone),
            windows={k: tuple(v) for k, v in windows.items()},
            own_holidays=own,
            country=hours.holiday_country,
        )

    @property
    def always_open(self) -> bool:
        return not self.windows

    def is_holiday(self, day: date) -> bool:
        if day in self.own_holidays:
            return True
        return self.country is not None and day in _public_holidays(self.country, day.year)

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC intervals of the windows that start on local ``day``."""
        if self.is_holiday(day):
            return []
        out = []
        for start, end in self.windows.get(day.weekday(), ()):
            end_day = day if end > start else day + timedelta(days=1)
            begin = datetime.combine(day, start, tzinfo=self.zone).astimezone(UTC)
            finish = datetime.combine(end_day, end, tzinfo=self.zone).astimezone(UTC)
            out.append((begin, finish))
        return out

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds in ``[start, end)``; 0 when ``end`` is not after ``start``."""
        # Aware datetimes of one zone subtract as wall clocks: measure in UTC.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        total = 0.0
        day = first
        while day <= last:
            for begin, finish in self._intervals(day):
                lo, hi = max(begin, start), min(finish, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add_open_seconds(
        self, start: datetime, seconds: float, horizon_days: int = 400
    ) -> datetime:
        """The instant when ``seconds`` of open time have passed since ``start`` (SLA due
        times in business hours). Gives up after ``horizon_days`` (a line never open)."""
        start = start.astimezone(UTC)
        if self.always_open:
            return start + timedelta(seconds=seconds)
        left = seconds
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(horizon_days):
            for begin, finish in sorted(self._intervals(day)):
                lo = max(begin, start)
                if finish <= lo:
                    continue
                span = (finish - lo).total_seconds()
                if span >= left:
                    return lo + timedelta(seconds=left)
                left -= span
            day += timedelta(days=1)
        return start + timedelta(days=horizon_days)
