"""Scripted conversations, hand-computed: bot replies, notes, failed sends, reopenings,
transfers, missed conversations, a weekend inside business hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inbox.domain.models import BusinessHours, BusinessHoursWindow
from inbox.services.reports.hours import BusinessCalendar
from inbox.services.reports.metrics import compute, next_response_avg
from inbox.services.reports.timeline import build

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)  # a Monday
ALWAYS = BusinessCalendar.of(BusinessHours(), "UTC")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def customer(s: float, **extra: Any) -> dict[str, Any]:
    return {"direction": "in", "created_at": at(s), "status": "received", **extra}


def reply(s: float, op: str | None = "op1", status: str = "sent") -> dict[str, Any]:
    return {
        "direction": "out",
        "sender_id": op,
        "created_at": at(s),
        "sent_at": at(s),
        "status": status,
    }


def note(s: float) -> dict[str, Any]:
    return {"direction": "note", "sender_id": "op1", "created_at": at(s), "status": "sent"}


def hop(s: float, to: str | None, frm: str | None = None, reason: str = "routed") -> dict[str, Any]:
    return {"at": at(s), "to_operator": to, "from_operator": frm, "reason": reason}


def status(s: float, value: str) -> dict[str, Any]:
    return {"at": at(s), "status": value}


def test_bot_notes_failed_sends_and_auto_replies_are_not_responses() -> None:
    messages = [
        customer(0),
        reply(60, op=None),  # the bot / welcome text: no sender
        note(120),
        reply(180, status="failed"),
        reply(240, status="pending"),
        customer(300, mail={"automatic": "auto-replied"}),  # never a customer message
        reply(600),
    ]
    m = compute(build(messages, [], []), ALWAYS)
    assert m.first_response is not None
    assert m.first_response.calendar_s == 600
    assert m.next_responses == []
    assert m.replies == {"op1": 1}


def test_a_reopening_never_inflates_the_first_response() -> None:
    five_days = 5 * 86400
    messages = [customer(0), reply(600), customer(five_days), reply(five_days + 1200)]
    log = [
        status(3600, "resolved"),
        status(five_days, "reopened"),
        status(five_days + 3600, "resolved"),
    ]
    m = compute(build(messages, [], log), ALWAYS)
    assert m.first_response is not None
    assert m.first_response.calendar_s == 600
    assert [s.calendar_s for s in m.reopen_first_responses] == [1200]
    assert m.next_responses == []
    # Open time only: 1 h in each cycle, not the 5 days it sat resolved.
    assert m.resolution_calendar_s == 7200
    assert m.cycles == 2
    assert not m.missed


def test_a_reopening_without_a_status_log_is_inferred_from_the_customer_message() -> None:
    # Conversations stored before the status log: only the last resolved_at is known.
    messages = [customer(0), reply(600), customer(86400), reply(86400 + 60)]
    m = compute(build(messages, [], [status(3600, "resolved")]), ALWAYS)
    assert m.first_response is not None
    assert m.first_response.calendar_s == 600
    assert [s.calendar_s for s in m.reopen_first_responses] == [60]
    assert m.resolution_calendar_s is None  # open again now


def test_next_responses_start_when_the_customer_starts_waiting() -> None:
    messages = [
        customer(0),
        reply(60),
        customer(120),
        customer(180),
        reply(300),
        customer(400),
        reply(500),
    ]
    m = compute(build(messages, [], []), ALWAYS)
    assert [s.calendar_s for s in m.next_responses] == [180, 100]
    assert next_response_avg(m) == (140, 140)


def test_transfers_count_per_operator_and_reassignments_keep_their_reasons() -> None:
    messages = [customer(0), reply(400, op="op2")]
    hops = [hop(30, "op1"), hop(300, "op2", frm="op1", reason="no_reply")]
    m = compute(build(messages, hops, [status(1000, "resolved")]), ALWAYS)
    assert m.queue_wait is not None
    assert m.queue_wait.calendar_s == 30
    after = {
        (a.operator, a.response.calendar_s if a.response else None) for a in m.after_assignment
    }
    assert after == {("op1", None), ("op2", 100)}
    assert m.reassignments == 1
    assert m.reassignment_reasons == {"no_reply": 1}
    assert m.handle_s == {"op1": 270, "op2": 700}
    assert m.first_response is not None
    assert m.first_response.calendar_s == 400
    assert m.resolution_calendar_s == 1000


def test_a_customer_who_left_before_any_answer_is_missed() -> None:
    m = compute(build([customer(0)], [], [status(3600, "resolved")]), ALWAYS)
    assert m.missed
    assert m.first_response is None
    assert m.resolution_calendar_s == 3600


def test_an_operator_who_writes_first_opens_no_first_response() -> None:
    m = compute(build([reply(0), customer(60), reply(120)], [], []), ALWAYS)
    assert m.first_response is None
    assert [s.calendar_s for s in m.next_responses] == [60]


def test_business_hours_skip_the_weekend_in_kyiv() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    windows = tuple(BusinessHoursWindow(weekday=d, start="09:00", end="18:00") for d in range(5))
    cal = BusinessCalendar.of(BusinessHours(windows=windows), "Europe/Kyiv")
    friday = datetime(2026, 1, 9, 17, 30, tzinfo=kyiv)
    monday = datetime(2026, 1, 12, 9, 15, tzinfo=kyiv)
    messages = [
        {"direction": "in", "created_at": friday, "status": "received"},
        {
            "direction": "out",
            "sender_id": "op1",
            "created_at": monday,
            "sent_at": monday,
            "status": "read",
        },
    ]
    m = compute(build(messages, [], []), cal)
    assert m.first_response is not None
    assert m.first_response.business_s == 45 * 60
    assert m.first_response.calendar_s == (monday - friday).total_seconds()


def test_the_clocks_now_say_who_waits_since_when() -> None:
    m = compute(build([customer(0), reply(60), customer(120), customer(130)], [], []), ALWAYS)
    assert m.waiting_since == at(120)
    assert not m.waiting_first
    assert m.open_since == at(0)
    fresh = compute(build([customer(5)], [], []), ALWAYS)
    assert fresh.waiting_since == at(5)
    assert fresh.waiting_first
    done = compute(build([customer(0)], [], [status(10, "resolved")]), ALWAYS)
    assert done.waiting_since is None
    assert done.open_since is None
