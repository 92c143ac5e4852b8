"""Report queries: MongoDB pipelines over ``conversation_metrics`` (see ``reports.py``).

Every aggregate is count, average, p50, p90 and p95 of one value per conversation.
Percentiles are MongoDB's ``$percentile`` (nearest rank on the embedded server and on small
sets; MongoDB's approximate method on large ones). Conversations are selected by when they
started (their first customer message), so one conversation is in exactly one period.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from inbox.domain.reports import MetricsFilter
from inbox.store.mongo import Database
from inbox.store.reports import METRICS

# Report name -> stored field (calendar seconds; the business-hours twin ends in "_bs").
TIMED = {
    "first_response": "first_response_s",
    "next_response": "next_response_s",
    "reopen_first_response": "reopen_first_response_s",
    "resolution": "resolution_s",
    "queue_wait": "queue_wait_s",
}
PERCENTILES = (0.5, 0.9, 0.95)


def _query(f: MetricsFilter) -> dict[str, Any]:
    """The MongoDB filter of a report's conversations (over ``conversation_metrics``)."""
    q: dict[str, Any] = {"started_at": {"$gte": f.start, "$lt": f.end}}
    for name in ("line_id", "team_id", "channel"):
        if getattr(f, name) is not None:
            q[name] = getattr(f, name)
    if f.operator_id is not None:
        q["operator_ids"] = f.operator_id
    return {"$and": [q, f.audience]} if f.audience else q


def _stats_group(field_name: str, key: str) -> dict[str, Any]:
    value = f"${field_name}"
    return {
        f"{key}__n": {"$sum": {"$cond": [{"$isNumber": value}, 1, 0]}},
        f"{key}__avg": {"$avg": value},
        f"{key}__p": {
            "$percentile": {"input": value, "p": list(PERCENTILES), "method": "approximate"}
        },
    }


def _stats(row: dict[str, Any], key: str) -> dict[str, Any]:
    n = int(row.get(f"{key}__n") or 0)
    p = row.get(f"{key}__p") or [None, None, None]
    avg = row.get(f"{key}__avg")
    return {
        "count": n,
        "avg": round(avg, 3) if n and avg is not None else None,
        "p50": p[0] if n else None,
        "p90": p[1] if n else None,
        "p95": p[2] if n else None,
    }


class ReportQueries:
    """Read side of the reports: summaries, per-operator tables, per-conversation rows."""

    def __init__(self, db: Database) -> None:
        self._c = db[METRICS]

    async def summary(self, f: MetricsFilter) -> dict[str, Any]:
        group: dict[str, Any] = {
            "_id": None,
            "conversations": {"$sum": 1},
            "resolved": {"$sum": {"$cond": [{"$isNumber": "$resolution_s"}, 1, 0]}},
            "missed": {"$sum": {"$cond": ["$missed", 1, 0]}},
            "reopened": {"$sum": {"$cond": [{"$gt": ["$reopenings", 0]}, 1, 0]}},
            "reassigned": {"$sum": {"$cond": [{"$gt": ["$reassignments", 0]}, 1, 0]}},
            "reassignments": {"$sum": "$reassignments"},
            "with_lead": {"$sum": {"$cond": [{"$ifNull": ["$lead_id", False]}, 1, 0]}},
            "with_deal": {"$sum": {"$cond": [{"$ifNull": ["$deal_id", False]}, 1, 0]}},
        }
        for name, fld in TIMED.items():
            group.update(_stats_group(fld, name))
            group.update(_stats_group(fld.removesuffix("_s") + "_bs", name + "_b"))
        rows = await (await self._c.aggregate([{"$match": _query(f)}, {"$group": group}])).to_list()
        row = rows[0] if rows else {}
        out: dict[str, Any] = {
            k: int(row.get(k) or 0)
            for k in (
                "conversations",
                "resolved",
                "missed",
                "reopened",
                "reassigned",
                "reassignments",
                "with_lead",
                "with_deal",
            )
        }
        out["metrics"] = {
            name: {"calendar": _stats(row, name), "business": _stats(row, name + "_b")}
            for name in TIMED
        }
        out["reassignment_reasons"] = await self._reasons(f)
        return out

    async def _reasons(self, f: MetricsFilter) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"$and": [_query(f), {"reassignments": {"$gt": 0}}]}},
            {"$project": {"r": {"$objectToArray": "$reassignment_reasons"}}},
            {"$unwind": "$r"},
            {"$group": {"_id": "$r.k", "n": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ]
        # One per conversation: a conversation moved twice for no_reply counts once there.
        return {d["_id"]: int(d["n"]) async for d in await self._c.aggregate(pipeline)}

    async def operators(self, f: MetricsFilter) -> list[dict[str, Any]]:
        """One row per operator who was assigned or replied in the selected conversations."""
        group: dict[str, Any] = {
            "_id": "$operators.id",
            "conversations": {"$sum": 1},
            "replies": {"$sum": {"$ifNull": ["$operators.replies", 0]}},
            "never_replied": {
                "$sum": {
                    "$cond": [
                        {
                            "$and": [
                                {"$gt": ["$operators.assigned", 0]},
                                {"$eq": ["$operators.answered", 0]},
                            ]
                        },
                        1,
                        0,
                    ]
                }
            },
            "handle_s": {"$sum": {"$ifNull": ["$operators.handle_s", 0]}},
        }
        group.update(_stats_group("operators.after_assignment_s", "after_assignment"))
        group.update(_stats_group("operators.after_assignment_bs", "after_assignment_b"))
        pipeline: list[dict[str, Any]] = [
            {"$match": _query(f)},
            {"$unwind": "$operators"},
            *([{"$match": {"operators.id": f.operator_id}}] if f.operator_id else []),
            {"$group": group},
            {"$sort": {"_id": 1}},
        ]
        out = []
        async for row in await self._c.aggregate(pipeline):
            out.append(
                {
                    "operator_id": row["_id"],
                    "conversations": int(row["conversations"]),
                    "replies": int(row["replies"]),
                    "never_replied": int(row["never_replied"]),
                    "handle_s": round(float(row["handle_s"]), 3),
                    "after_assignment": {
                        "calendar": _stats(row, "after_assignment"),
                        "business": _stats(row, "after_assignment_b"),
                    },
                }
            )
        return out

    async def heatmap(self, f: MetricsFilter, timezone: str) -> list[dict[str, int]]:
        """Conversations started per ISO weekday (1 = Monday) and local hour in ``timezone``."""
        when = {"date": "$started_at", "timezone": timezone}
        pipeline: list[dict[str, Any]] = [
            {"$match": _query(f)},
            {
                "$group": {
                    "_id": {"w": {"$isoDayOfWeek": when}, "h": {"$hour": when}},
                    "n": {"$sum": 1},
                }
            },
            {"$sort": {"_id.w": 1, "_id.h": 1}},
        ]
        return [
            {
                "weekday": int(d["_id"]["w"]),
                "hour": int(d["_id"]["h"]),
                "conversations": int(d["n"]),
            }
            async for d in await self._c.aggregate(pipeline)
        ]

    async def rows(self, f: MetricsFilter, limit: int = 100_000) -> AsyncIterator[dict[str, Any]]:
        """Per-conversation rows in a stable order (the one-row-per-conversation CSV)."""
        cursor = self._c.find(_query(f), {"operators": 0}).sort([("started_at", 1), ("_id", 1)])
        async for doc in cursor.limit(limit):
            yield doc


async def live_board(db: Database, audience: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Right now, within ``audience``: conversations waiting for a reply and the longest
    wait, the unassigned count, open conversations per assignee, operators' presence."""
    active: dict[str, Any] = {"active": True}
    match = {"$and": [active, audience]} if audience else active
    pipeline: list[dict[str, Any]] = [
        {"$match": match},
        {
            "$group": {
                "_id": None,
                "open": {"$sum": 1},
                "unassigned": {
                    "$sum": {"$cond": [{"$eq": [{"$ifNull": ["$assignee_id", None]}, None]}, 1, 0]}
                },
            }
        },
    ]
    # Waiting by the reports' definition (a human reply ends a wait, a bot's does not), from
    # the precomputed rows (refreshed every few seconds by the worker).
    waits: dict[str, Any] = {"open": True, "waiting_since": {"$type": "date"}}
    wait_rows = await (
        await db[METRICS].aggregate(
            [
                {"$match": {"$and": [waits, audience]} if audience else waits},
                {"$group": {"_id": None, "n": {"$sum": 1}, "oldest": {"$min": "$waiting_since"}}},
            ]
        )
    ).to_list()
    wait = wait_rows[0] if wait_rows else {}
    rows = await (await db["conversations"].aggregate(pipeline)).to_list()
    head = rows[0] if rows else {}
    load = {
        d["_id"]: int(d["n"])
        async for d in await db["conversations"].aggregate(
            [
                {"$match": {"$and": [match, {"assignee_id": {"$type": "string"}}]}},
                {"$group": {"_id": "$assignee_id", "n": {"$sum": 1}}},
            ]
        )
    }
    oldest = wait.get("oldest")
    return {
        "open": int(head.get("open") or 0),
        "unassigned": int(head.get("unassigned") or 0),
        "waiting": int(wait.get("n") or 0),
        "longest_wait_s": round((now - oldest).total_seconds(), 3) if oldest else None,
        "load": load,
    }
