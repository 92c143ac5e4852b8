"""Per-conversation metrics: every definition of ``docs/reports.md`` computed in one place.

A conversation's life is cut into cycles: the first starts with the conversation, each
reopening starts another, a resolution ends one. Times are measured twice, in calendar
seconds and in the line's open seconds (:class:`BusinessCalendar`).

- first response: in each cycle, from its first customer message to the first human reply
  after it (a cycle an operator opened by writing first has none). The conversation's
  ``first_response`` is its first cycle's; reopened cycles are kept apart
  (``reopen_first_responses``) so a reopening never inflates it;
- next response: every later customer message that found the customer not already
  waiting, to the next human reply; the conversation contributes their average;
- resolution: the open time of its cycles up to the last resolution (the time it sat
  resolved does not count); only for a conversation resolved now;
- queue wait: from the first customer message to the first assignment to an operator;
- first response after assignment, per operator: from each assignment to that operator's
  first reply before the next assignment (None: assigned, never replied);
- handle time per operator: the time the conversation was assigned to them while open;
- reassignments: assignments that moved it away from an operator, with their reasons;
- missed: a cycle ended (resolved) with the customer having written and no human reply.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from inbox.services.reports.hours import BusinessCalendar
from inbox.services.reports.timeline import Fact, Kind


@dataclass(frozen=True)
class Span:
    """One measured duration: calendar and business seconds."""

    start: datetime
    end: datetime
    calendar_s: float
    business_s: float


@dataclass(frozen=True)
class AfterAssignment:
    operator: str
    assigned_at: datetime
    response: Span | None  # None: the operator never replied while assigned


@dataclass
class Metrics:
    first_response: Span | None = None
    reopen_first_responses: list[Span] = field(default_factory=list)
    next_responses: list[Span] = field(default_factory=list)
    resolution: Span | None = None
    resolution_calendar_s: float | None = None
    resolution_business_s: float | None = None
    queue_wait: Span | None = None
    after_assignment: list[AfterAssignment] = field(default_factory=list)
    handle_s: dict[str, float] = field(default_factory=dict)
    reassignments: int = 0
    reassignment_reasons: Counter[str] = field(default_factory=Counter)
    replies: Counter[str] = field(default_factory=Counter)
    missed: bool = False
    cycles: int = 0
    # Where the clocks stand now (the SLA worker reads these): the customer waiting since
    # (for a first response of the cycle or a next one), and the open cycle's start.
    waiting_since: datetime | None = None
    waiting_first: bool = False
    open_since: datetime | None = None


def _avg(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def next_response_avg(m: Metrics) -> tuple[float | None, float | None]:
    """The conversation's one next-response value (calendar, business): its average."""
    return (
        _avg([s.calendar_s for s in m.next_responses]),
        _avg([s.business_s for s in m.next_responses]),
    )


def compute(facts: list[Fact], calendar: BusinessCalendar) -> Metrics:
    """The metrics of one conversation from its ordered facts (see ``timeline.build``)."""

    def span(a: datetime, b: datetime) -> Span:
        calendar_s = (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()
        return Span(a, b, calendar_s, calendar.open_seconds(a, b))

    m = Metrics(cycles=1)
    open_now = True
    cycle_index = 0
    cycle_start: datetime | None = None  # first moment of the cycle's open life
    cycle_replied = False
    cycle_customer = False
    waiting_since: datetime | None = None
    waiting_first = False  # the wait is the cycle's first response
    assignee: str | None = None
    assigned_at: datetime | None = None
    pending_after: dict[str, int] = {}  # operator -> index in after_assignment
    first_customer: datetime | None = None
    res_cal = 0.0
    res_bus = 0.0
    last_resolved: datetime | None = None

    def close_assignment(at: datetime) -> None:
        nonlocal assigned_at
        if assignee is not None and assigned_at is not None and open_now:
            m.handle_s[assignee] = (
                m.handle_s.get(assignee, 0.0) + (at - assigned_at).total_seconds()
            )
        assigned_at = at

    def reopen(at: datetime) -> None:
        nonlocal open_now, assigned_at, cycle_index, cycle_start, cycle_replied, cycle_customer
        open_now = True
        assigned_at = at
        cycle_index += 1
        m.cycles += 1
        cycle_start = at
        cycle_replied = cycle_customer = False

    for f in facts:
        if f.kind is Kind.CUSTOMER:
            if not open_now:  # history from before the status log: the message reopened it
                reopen(f.at)
            if first_customer is None:
                first_customer = f.at
            if cycle_start is None:
                cycle_start = f.at
            cycle_customer = True
            if waiting_since is None:
                waiting_since = f.at
                waiting_first = not cycle_replied
        elif f.kind is Kind.REPLY:
            m.replies[f.operator or ""] += 1
            if cycle_start is None:
                cycle_start = f.at
            if waiting_since is not None:
                s = span(waiting_since, f.at)
                if not waiting_first:
                    m.next_responses.append(s)
                elif cycle_index == 0:
                    m.first_response = s
                else:
                    m.reopen_first_responses.append(s)
                waiting_since = None
            cycle_replied = True
            if f.operator in pending_after:
                i = pending_after.pop(f.operator)
                a = m.after_assignment[i]
                m.after_assignment[i] = AfterAssignment(
                    a.operator, a.assigned_at, span(a.assigned_at, f.at)
                )
        elif f.kind is Kind.ASSIGNED:
            close_assignment(f.at)
            if f.previous is not None and f.previous != f.operator:
                m.reassignments += 1
                m.reassignment_reasons[f.reason or "unknown"] += 1
            pending_after.pop(f.previous or "", None)
            assignee = f.operator
            if f.operator is not None:
                if m.queue_wait is None and first_customer is not None:
                    m.queue_wait = span(first_customer, f.at)
                pending_after[f.operator] = len(m.after_assignment)
                m.after_assignment.append(AfterAssignment(f.operator, f.at, None))
        elif f.kind is Kind.RESOLVED and open_now:
            close_assignment(f.at)
            if cycle_customer and not cycle_replied:
                m.missed = True
            if cycle_start is not None:
                res_cal += (f.at - cycle_start).total_seconds()
                res_bus += calendar.open_seconds(cycle_start, f.at)
            last_resolved = f.at
            open_now = False
            waiting_since = None
        elif f.kind is Kind.REOPENED and not open_now:
            reopen(f.at)
    if open_now:
        m.waiting_since, m.waiting_first = waiting_since, waiting_first
        m.open_since = cycle_start
    if not open_now and last_resolved is not None:
        m.resolution_calendar_s = res_cal
        m.resolution_business_s = res_bus
    return m
