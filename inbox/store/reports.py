"""Storage of per-conversation metrics (``conversation_metrics``) and what refreshing them
reads. The rows themselves are built by ``inbox.services.reports``; a report is a MongoDB
pipeline over this collection (``report_queries``) and never replays messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel

from inbox.domain.errors import NotFound
from inbox.domain.models import Line
from inbox.store.docs import from_doc
from inbox.store.mongo import Database

METRICS = "conversation_metrics"
STATE = "report_state"
MESSAGE_FIELDS = {
    "direction": 1,
    "sender_id": 1,
    "status": 1,
    "created_at": 1,
    "sent_at": 1,
    "mail.automatic": 1,
}

INDEXES = [
    IndexModel([("started_at", ASCENDING)], name="by_started"),
    IndexModel([("line_id", ASCENDING), ("started_at", ASCENDING)], name="by_line_started"),
    IndexModel([("team_id", ASCENDING), ("started_at", ASCENDING)], name="by_team_started"),
    IndexModel([("operator_ids", ASCENDING), ("started_at", ASCENDING)], name="by_operator"),
    IndexModel([("assignee_id", ASCENDING)], name="by_assignee"),
]


class MongoMetricsStore:
    """Implements ``inbox.services.reports.refresh.MetricsSource`` over MongoDB."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._metrics = db[METRICS]

    async def ensure_indexes(self) -> None:
        await self._metrics.create_indexes(INDEXES)
        await self._db["conversations"].create_indexes(
            [IndexModel([("updated_at", ASCENDING)], name="by_updated")]
        )

    async def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        return await self._db["conversations"].find_one({"_id": conversation_id})

    async def changed_since(
        self, since: datetime | None, limit: int
    ) -> AsyncIterator[dict[str, Any]]:
        query: dict[str, Any] = {} if since is None else {"updated_at": {"$gte": since}}
        cursor = self._db["conversations"].find(query).sort("updated_at", ASCENDING).limit(limit)
        async for doc in cursor:
            yield doc

    async def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        cursor = self._db["messages"].find({"conversation_id": conversation_id}, MESSAGE_FIELDS)
        return [d async for d in cursor]

    async def line(self, line_id: str) -> Line:
        doc = await self._db["lines"].find_one({"_id": line_id})
        if doc is None:
            raise NotFound(f"line {line_id} not found", code="line_not_found")
        return from_doc(Line, doc)

    async def save(self, row: dict[str, Any]) -> None:
        await self._metrics.replace_one({"_id": row["_id"]}, row, upsert=True)

    async def watermark(self) -> datetime | None:
        doc = await self._db[STATE].find_one({"_id": "metrics"})
        return doc["watermark"] if doc else None

    async def set_watermark(self, at: datetime) -> None:
        await self._db[STATE].update_one(
            {"_id": "metrics"}, {"$set": {"watermark": at}}, upsert=True
        )
