"""One conversation's stored metrics row: what the reports aggregate and the CSV lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inbox.services.reports.metrics import Metrics, Span, next_response_avg


def _s(span: Span | None) -> tuple[float | None, float | None]:
    return (span.calendar_s, span.business_s) if span else (None, None)


def _avg(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def metrics_doc(conversation: dict[str, Any], m: Metrics, now: datetime) -> dict[str, Any]:
    """The stored row of one conversation: what the reports and the CSV read."""
    fr, fr_b = _s(m.first_response)
    qw, qw_b = _s(m.queue_wait)
    nr, nr_b = next_response_avg(m)
    operators: dict[str, dict[str, Any]] = {}
    for a in m.after_assignment:
        row = operators.setdefault(a.operator, {"id": a.operator, "assigned": 0, "answered": 0})
        row["assigned"] += 1
        if a.response is not None:
            row["answered"] += 1
            row.setdefault("after_assignment_s", a.response.calendar_s)
            row.setdefault("after_assignment_bs", a.response.business_s)
    for op, n in m.replies.items():
        operators.setdefault(op, {"id": op, "assigned": 0, "answered": 0})["replies"] = n
    for op, s in m.handle_s.items():
        operators.setdefault(op, {"id": op, "assigned": 0, "answered": 0})["handle_s"] = s
    started = conversation.get("first_customer_message_at") or conversation["created_at"]
    return {
        "_id": conversation["_id"],
        "line_id": conversation["line_id"],
        "channel": conversation["channel"],
        "team_id": conversation.get("team_id"),
        "assignee_id": conversation.get("assignee_id"),
        "contact_id": conversation.get("contact_id"),
        "status": conversation.get("status"),
        "started_at": started,
        "resolved_at": conversation.get("resolved_at")
        if m.resolution_calendar_s is not None
        else None,
        "first_response_at": m.first_response.end if m.first_response else None,
        "first_response_s": fr,
        "first_response_bs": fr_b,
        "next_response_s": nr,
        "next_response_bs": nr_b,
        "next_response_count": len(m.next_responses),
        "reopen_first_response_s": _avg([s.calendar_s for s in m.reopen_first_responses]),
        "reopen_first_response_bs": _avg([s.business_s for s in m.reopen_first_responses]),
        "resolution_s": m.resolution_calendar_s,
        "resolution_bs": m.resolution_business_s,
        "queue_wait_s": qw,
        "queue_wait_bs": qw_b,
        "cycles": m.cycles,
        "reopenings": m.cycles - 1,
        "reassignments": m.reassignments,
        "reassignment_reasons": dict(m.reassignment_reasons),
        "missed": m.missed,
        "replies": sum(m.replies.values()),
        "operators": sorted(operators.values(), key=lambda r: str(r["id"])),
        "operator_ids": sorted(operators),
        "lead_id": conversation.get("lead_id"),
        "deal_id": conversation.get("deal_id"),
        "priority": conversation.get("priority", 0),
        "open": conversation.get("status") != "resolved",
        "waiting_since": m.waiting_since,
        "waiting_first": m.waiting_first,
        "cycle_started_at": m.open_since,
        "computed_at": now,
    }
