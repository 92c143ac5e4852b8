"""Business hours against hand-computed cases: several ranges a day, past midnight,
weekends, the line's own holidays, a country's public holidays, Kyiv's DST change."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from inbox.domain.models import BusinessHours, BusinessHoursWindow
from inbox.services.reports.hours import BusinessCalendar

KYIV = ZoneInfo("Europe/Kyiv")


def week(start: str, end: str, days: range = range(5)) -> tuple[BusinessHoursWindow, ...]:
    return tuple(BusinessHoursWindow(weekday=d, start=start, end=end) for d in days)


def kyiv(*args: int) -> datetime:
    return datetime(*args, tzinfo=KYIV)  # type: ignore[arg-type,misc]


def test_two_ranges_a_day_skip_the_lunch_break() -> None:
    hours = BusinessHours(windows=week("09:00", "13:00") + week("14:00", "18:00"))
    cal = BusinessCalendar.of(hours, "UTC")
    # Monday 12:00 -> 15:00: one hour before lunch, one after.
    start, end = datetime(2026, 1, 5, 12, tzinfo=UTC), datetime(2026, 1, 5, 15, tzinfo=UTC)
    assert cal.open_seconds(start, end) == 2 * 3600


def test_a_range_past_midnight_belongs_to_the_day_it_starts() -> None:
    hours = BusinessHours(windows=(BusinessHoursWindow(weekday=4, start="22:00", end="02:00"),))
    cal = BusinessCalendar.of(hours, "UTC")
    friday_23, saturday_03 = (
        datetime(2026, 1, 9, 23, tzinfo=UTC),
        datetime(2026, 1, 10, 3, tzinfo=UTC),
    )
    assert cal.open_seconds(friday_23, saturday_03) == 3 * 3600


def test_a_weekend_is_closed() -> None:
    cal = BusinessCalendar.of(BusinessHours(windows=week("09:00", "18:00")), "Europe/Kyiv")
    # Friday 17:00 -> Monday 10:00, Kyiv: the last hour of Friday and the first of Monday.
    assert cal.open_seconds(kyiv(2026, 1, 9, 17), kyiv(2026, 1, 12, 10)) == 2 * 3600


def test_the_lines_own_holiday_is_closed() -> None:
    hours = BusinessHours(windows=week("09:00", "18:00"), holidays=("2026-01-12",))
    cal = BusinessCalendar.of(hours, "Europe/Kyiv")
    # Monday is the line's holiday: Friday's last hour and Tuesday's first.
    assert cal.open_seconds(kyiv(2026, 1, 9, 17), kyiv(2026, 1, 13, 10)) == 2 * 3600


def test_public_holidays_come_from_the_holidays_library() -> None:
    hours = BusinessHours(windows=week("09:00", "18:00"), holiday_country="PL")
    cal = BusinessCalendar.of(hours, "Europe/Warsaw")
    warsaw = ZoneInfo("Europe/Warsaw")
    # Tuesday 6 January 2026 is Epiphany in Poland: Monday 17-18 and Wednesday 9-10.
    start = datetime(2026, 1, 5, 17, tzinfo=warsaw)
    end = datetime(2026, 1, 7, 10, tzinfo=warsaw)
    assert cal.open_seconds(start, end) == 2 * 3600
    assert cal.is_holiday(datetime(2026, 1, 6).date())


def test_kyiv_spring_forward_inside_a_night_range_counts_real_hours() -> None:
    # Clocks jump 03:00 -> 04:00 on Sunday 29 March 2026: Saturday 22:00-06:00 is 7 h.
    hours = BusinessHours(windows=(BusinessHoursWindow(weekday=5, start="22:00", end="06:00"),))
    cal = BusinessCalendar.of(hours, "Europe/Kyiv")
    assert cal.open_seconds(kyiv(2026, 3, 28, 12), kyiv(2026, 3, 29, 12)) == 7 * 3600
    # The autumn change (25 October 2026, 04:00 -> 03:00) makes the same range 9 h.
    assert cal.open_seconds(kyiv(2026, 10, 24, 12), kyiv(2026, 10, 25, 12)) == 9 * 3600


def test_no_windows_means_calendar_time() -> None:
    cal = BusinessCalendar.of(BusinessHours(), "Europe/Kyiv")
    assert cal.open_seconds(kyiv(2026, 3, 28, 12), kyiv(2026, 3, 29, 12)) == 23 * 3600


def test_due_time_after_open_seconds_skips_the_weekend() -> None:
    cal = BusinessCalendar.of(BusinessHours(windows=week("09:00", "18:00")), "Europe/Kyiv")
    due = cal.add_open_seconds(kyiv(2026, 1, 9, 17), 2 * 3600)
    assert due == kyiv(2026, 1, 12, 10)


def test_an_empty_or_backward_interval_is_zero() -> None:
    cal = BusinessCalendar.of(BusinessHours(windows=week("09:00", "18:00")), "UTC")
    t = datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert cal.open_seconds(t, t) == 0
    assert cal.open_seconds(t, datetime(2026, 1, 5, 9, tzinfo=UTC)) == 0
