"""SLA storage: policies (a small collection) and the record of raised warnings/breaches,
keyed so that each is stored once whatever the replays (``inbox.services.sla.monitor``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from inbox.domain.errors import NotFound
from inbox.domain.models import Line
from inbox.store.docs import from_doc
from inbox.store.mongo import Database
from inbox.store.reports import METRICS

POLICIES = "sla_policies"
EVENTS = "sla_events"


class MongoSlaStore:
    """Implements ``inbox.services.sla.monitor.SlaStore``; policies are plain documents
    validated by the caller's model."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._db[METRICS].create_indexes([IndexModel([("open", ASCENDING)], name="by_open")])
        await self._db[EVENTS].create_indexes(
            [IndexModel([("conversation_id", ASCENDING), ("at", ASCENDING)], name="by_conv")]
        )

    async def policy_docs(self) -> list[dict[str, Any]]:
        return [d async for d in self._db[POLICIES].find({}).sort("_id", ASCENDING)]

    async def put_policy(self, doc: dict[str, Any]) -> None:
        await self._db[POLICIES].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_policy(self, policy_id: str) -> bool:
        return (await self._db[POLICIES].delete_one({"_id": policy_id})).deleted_count == 1

    async def open_rows(self) -> AsyncIterator[dict[str, Any]]:
        async for doc in self._db[METRICS].find({"open": True}):
            yield doc

    async def row(self, conversation_id: str) -> dict[str, Any] | None:
        return await self._db[METRICS].find_one({"_id": conversation_id})

    async def line(self, line_id: str) -> Line:
        doc = await self._db["lines"].find_one({"_id": line_id})
        if doc is None:
            raise NotFound(f"line {line_id} not found", code="line_not_found")
        return from_doc(Line, doc)

    async def team_lead(self, team_id: str) -> str | None:
        doc = await self._db["teams"].find_one({"_id": team_id}, {"manager_id": 1})
        return doc.get("manager_id") if doc else None

    async def record(self, key: str, doc: dict[str, Any]) -> bool:
        try:
            await self._db[EVENTS].insert_one({"_id": key, **doc})
        except DuplicateKeyError:
            return False
        return True

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        cursor = self._db[EVENTS].find({"conversation_id": conversation_id}).sort("at", ASCENDING)
        return [d async for d in cursor]
