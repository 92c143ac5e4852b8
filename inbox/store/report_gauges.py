"""What ``/metrics`` exports about the managers' side, read from stored data (so every web
process agrees and a restart loses nothing): SLA warnings and breaches recorded, queue
length, and per-line histograms of assignment latency and first response."""

from __future__ import annotations

from typing import Any

from inbox.store.mongo import Database
from inbox.store.reports import METRICS
from inbox.store.sla import EVENTS

BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
HISTOGRAMS = {"assignment_latency": "queue_wait_s", "first_response": "first_response_s"}


async def gauge_snapshot(db: Database) -> dict[str, Any]:
    """Counts per line: ``queue``, ``sla`` ((line, level) -> n), and per histogram name
    line -> (bucket counts cumulative, count, sum)."""
    queue = {
        d["_id"]: int(d["n"])
        async for d in await db["conversations"].aggregate(
            [
                {"$match": {"active": True, "assignee_id": None}},
                {"$group": {"_id": "$line_id", "n": {"$sum": 1}}},
            ]
        )
    }
    sla = {
        (d["_id"]["line"], d["_id"]["level"]): int(d["n"])
        async for d in await db[EVENTS].aggregate(
            [{"$group": {"_id": {"line": "$line_id", "level": "$level"}, "n": {"$sum": 1}}}]
        )
    }
    histograms: dict[str, dict[str, tuple[list[int], int, float]]] = {}
    for name, field in HISTOGRAMS.items():
        value = f"${field}"
        group: dict[str, Any] = {
            "_id": "$line_id",
            "n": {"$sum": 1},
            "sum": {"$sum": value},
        }
        for i, bound in enumerate(BUCKETS):
            group[f"b{i}"] = {"$sum": {"$cond": [{"$lte": [value, bound]}, 1, 0]}}
        pipeline = [{"$match": {field: {"$type": "number"}}}, {"$group": group}]
        histograms[name] = {
            d["_id"]: ([int(d[f"b{i}"]) for i in range(len(BUCKETS))], int(d["n"]), float(d["sum"]))
            async for d in await db[METRICS].aggregate(pipeline)
        }
    return {"queue": queue, "sla": sla, "histograms": histograms}
