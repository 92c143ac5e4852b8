"""Business hours and holidays in the line's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox.domain.errors import ValidationFailed
from inbox.domain.models import BusinessHours, BusinessHoursWindow
from routing.hours import is_open, next_opening, zone

# Monday 2026-01-05; Kyiv is UTC+2 in winter.
WEEKDAYS = BusinessHours(
    windows=tuple(BusinessHoursWindow(weekday=d, start="09:00", end="18:00") for d in range(5)),
    holidays=("2026-01-07",),
)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def test_always_open_without_windows() -> None:
    assert is_open(BusinessHours(), "UTC", utc(10, 3))


def test_windows_are_local_to_the_line() -> None:
    assert not is_open(WEEKDAYS, "Europe/Kyiv", utc(5, 6, 59))  # 08:59 in Kyiv
    assert is_open(WEEKDAYS, "Europe/Kyiv", utc(5, 7, 0))
    assert is_open(WEEKDAYS, "Europe/Kyiv", utc(5, 15, 59))
    assert not is_open(WEEKDAYS, "Europe/Kyiv", utc(5, 16, 0))  # 18:00 closes
    assert not is_open(WEEKDAYS, "Europe/Kyiv", utc(10, 10))  # Saturday


def test_holidays_close_the_whole_local_day() -> None:
    assert not is_open(WEEKDAYS, "Europe/Kyiv", utc(7, 10))
    assert is_open(WEEKDAYS, "Europe/Kyiv", utc(6, 10))


def test_a_window_past_midnight_covers_the_next_morning() -> None:
    night = BusinessHours(windows=(BusinessHoursWindow(weekday=0, start="22:00", end="02:00"),))
    assert is_open(night, "UTC", utc(5, 23))
    assert is_open(night, "UTC", utc(6, 1, 59))
    assert not is_open(night, "UTC", utc(6, 2))
    assert not is_open(night, "UTC", utc(5, 21))


def test_next_opening_skips_the_weekend_and_holidays() -> None:
    assert next_opening(WEEKDAYS, "Europe/Kyiv", utc(6, 17)) == utc(8, 7)  # the 7th is off
    assert next_opening(WEEKDAYS, "UTC", utc(9, 10)) == utc(9, 10)


def test_unknown_time_zone_is_a_validation_error() -> None:
    for name in ("Mars/Olympus", "../../etc/passwd", "Europe", "/etc/localtime", "UTC\x00"):
        with pytest.raises(ValidationFailed):
            zone(name)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "Europe", ""])
def test_a_stored_unusable_time_zone_counts_as_utc_instead_of_raising(name: str) -> None:
    # the router must keep going for a line stored before writes were validated
    assert is_open(WEEKDAYS, name, utc(5, 10)) is True  # Monday 10:00 UTC
    assert is_open(WEEKDAYS, name, utc(5, 8)) is False
