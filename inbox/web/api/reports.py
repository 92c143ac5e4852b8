"""The managers' reports: response times, resolution, queue wait, per-operator tables and
one row per conversation, as JSON and as CSV built from the very same answer.

Managers see the conversations of their teams (the same audience as the inbox), admins
everything; a team or operator outside the caller's scope answers 404. Definitions:
``docs/reports.md``.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import Field, field_validator, model_validator

from inbox.domain.errors import NotFound, ValidationFailed
from inbox.domain.models import ChannelKind, Role
from inbox.domain.reports import MetricsFilter
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes, Body, read_query
from inbox.web.keys import HUB

api = ApiRoutes(tag="reports")
MANAGERS = (Role.MANAGER, Role.ADMIN)
MAX_PERIOD = timedelta(days=400)
ROW_COLUMNS = (
    "conversation_id", "line_id", "channel", "team_id", "assignee_id", "status", "started_at",
    "first_response_at", "resolved_at", "first_response_s", "first_response_bs",
    "next_response_s", "next_response_bs", "next_response_count", "reopen_first_response_s",
    "reopen_first_response_bs", "resolution_s", "resolution_bs", "queue_wait_s",
    "queue_wait_bs", "cycles", "reopenings", "reassignments", "missed", "replies",
    "operator_ids", "lead_id", "deal_id",
)  # fmt: skip
STAT_COLUMNS = ("count", "avg", "p50", "p90", "p95")


class ReportQuery(Body):
    since: datetime | None = None  # default: 7 days before ``until``
    until: datetime | None = None  # default: now
    line_id: str | None = Field(default=None, max_length=64)
    team_id: str | None = Field(default=None, max_length=64)
    channel: ChannelKind | None = None
    operator_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=10_000, ge=1, le=100_000)
    tz: str = Field(default="UTC", max_length=64)  # the heatmap's local time zone

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError("an IANA time zone such as Europe/Kyiv") from e
        return value

    @model_validator(mode="after")
    def _aware(self) -> ReportQuery:
        for value in (self.since, self.until):
            if value is None:
                continue
            if value.tzinfo is None:
                raise ValueError("times need a zone offset, e.g. 2026-01-05T00:00:00Z")
            # Far dates overflow on the way to UTC or when the default period is subtracted.
            if not 1971 <= value.year <= 9998:
                raise ValueError("times must lie between the years 1971 and 9998")
        return self


class StatsOut(Body):
    count: int
    avg: float | None
    p50: float | None
    p90: float | None
    p95: float | None


class TimedOut(Body):
    calendar: StatsOut
    business: StatsOut


class HeatCell(Body):
    weekday: int  # ISO: 1 = Monday
    hour: int  # local hour in the query's ``tz``
    conversations: int


class OperatorRow(Body):
    operator_id: str
    name: str | None
    conversations: int
    replies: int
    never_replied: int
    handle_s: float
    after_assignment: TimedOut


class MetricsOut(Body):
    since: datetime
    until: datetime
    conversations: int
    resolved: int
    missed: int
    reopened: int
    reassigned: int
    reassignments: int
    reassignment_reasons: dict[str, int]
    with_lead: int
    with_deal: int
    metrics: dict[str, TimedOut]
    operators: list[OperatorRow]
    heatmap: list[HeatCell]


class RowsOut(Body):
    columns: list[str]
    items: list[dict[str, Any]]


async def _filter(request: web.Request) -> tuple[MetricsFilter, ReportQuery]:
    query = read_query(request, ReportQuery)
    until = query.until or request.app[HUB].clock.now()
    since = query.since or until - timedelta(days=7)
    if not since < until or until - since > MAX_PERIOD:
        raise ValidationFailed(
            "the period must be positive and at most 400 days", code="bad_period"
        )
    scope = await caller_scope(request)
    if query.team_id is not None and not scope.manages(query.team_id):
        raise NotFound(f"team {query.team_id} not found", code="team_not_found")
    if (
        query.operator_id is not None
        and not scope.is_admin
        and query.operator_id not in scope.members | {scope.operator.id}
    ):
        raise NotFound(f"operator {query.operator_id} not found", code="operator_not_found")
    flt = MetricsFilter(
        start=since.astimezone(UTC),
        end=until.astimezone(UTC),
        line_id=query.line_id,
        team_id=query.team_id,
        channel=query.channel.value if query.channel else None,
        operator_id=query.operator_id,
        audience=scope.mongo_filter(),
    )
    return flt, query


async def _metrics(request: web.Request) -> MetricsOut:
    flt, query = await _filter(request)
    hub = request.app[HUB]
    reports = hub.reporting().queries
    summary = await reports.summary(flt)
    names = {o.id: o.name for o in await hub.operators.list()}
    operators = [
        OperatorRow(name=names.get(row["operator_id"]), **row)
        for row in await reports.operators(flt)
    ]
    heat = [HeatCell(**c) for c in await reports.heatmap(flt, query.tz)]
    return MetricsOut(since=flt.start, until=flt.end, operators=operators, heatmap=heat, **summary)


def cell(value: Any) -> Any:
    """One value of a per-conversation row, the same in the JSON and the CSV."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


async def _rows(request: web.Request) -> RowsOut:
    flt, query = await _filter(request)
    items = []
    async for doc in request.app[HUB].reporting().queries.rows(flt, limit=query.limit):
        doc["conversation_id"] = doc["_id"]
        items.append({c: cell(doc.get(c)) for c in ROW_COLUMNS})
    return RowsOut(columns=list(ROW_COLUMNS), items=items)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_response(header: list[str], rows: list[list[Any]], name: str) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow([_guard(_csv_text(v)) for v in row])
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _guard(text: str) -> str:
    return (
        "'" + text
        if text[:1] in ("=", "+", "@") or (text.startswith("-") and not _number(text))
        else text
    )


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@api.route(
    "GET",
    "/reports/metrics",
    summary="Response, resolution and queue times (count, avg, p50/p90/p95) and operators",
    roles=MANAGERS,
    query=ReportQuery,
    response=MetricsOut,
)
async def metrics(request: web.Request) -> web.StreamResponse:
    return web.json_response((await _metrics(request)).model_dump(mode="json"))


@api.route(
    "GET",
    "/reports/metrics.csv",
    summary="The metrics table of /reports/metrics as CSV",
    roles=MANAGERS,
    query=ReportQuery,
)
async def metrics_csv(request: web.Request) -> web.StreamResponse:
    out = await _metrics(request)
    rows = [
        [name, hours, *(getattr(getattr(timed, hours), c) for c in STAT_COLUMNS)]
        for name, timed in out.metrics.items()
        for hours in ("calendar", "business")
    ]
    return csv_response(["metric", "hours", *STAT_COLUMNS], rows, "metrics")


@api.route(
    "GET",
    "/reports/operators.csv",
    summary="The per-operator table of /reports/metrics as CSV",
    roles=MANAGERS,
    query=ReportQuery,
)
async def operators_csv(request: web.Request) -> web.StreamResponse:
    out = await _metrics(request)
    header = ["operator_id", "name", "conversations", "replies", "never_replied", "handle_s"]
    header += [f"after_assignment_{h}_{c}" for h in ("calendar", "business") for c in STAT_COLUMNS]
    rows = []
    for o in out.operators:
        row: list[Any] = [o.operator_id, o.name, o.conversations, o.replies, o.never_replied]
        row.append(o.handle_s)
        for h in (o.after_assignment.calendar, o.after_assignment.business):
            row += [getattr(h, c) for c in STAT_COLUMNS]
        rows.append(row)
    return csv_response(header, rows, "operators")


@api.route(
    "GET",
    "/reports/heatmap.csv",
    summary="Conversations by weekday and local hour (the heatmap of /reports/metrics)",
    roles=MANAGERS,
    query=ReportQuery,
)
async def heatmap_csv(request: web.Request) -> web.StreamResponse:
    out = await _metrics(request)
    rows = [[c.weekday, c.hour, c.conversations] for c in out.heatmap]
    return csv_response(["weekday", "hour", "conversations"], rows, "heatmap")


@api.route(
    "GET",
    "/reports/conversations",
    summary="One row per conversation with all its timestamps and metrics",
    roles=MANAGERS,
    query=ReportQuery,
    response=RowsOut,
)
async def conversation_rows(request: web.Request) -> web.StreamResponse:
    return web.json_response((await _rows(request)).model_dump(mode="json"))


@api.route(
    "GET",
    "/reports/conversations.csv",
    summary="/reports/conversations as CSV (identical rows)",
    roles=MANAGERS,
    query=ReportQuery,
)
async def conversation_rows_csv(request: web.Request) -> web.StreamResponse:
    out = await _rows(request)
    rows = [[item[c] for c in out.columns] for item in out.items]
    return csv_response(out.columns, rows, "conversations")
