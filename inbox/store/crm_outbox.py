"""The external-CRM outbox and the remote ids of what it pushed, in MongoDB.

An item's ``_id`` is its idempotency key, so enqueueing the same change twice (a replayed
hook, two processes) stores it once. The worker leases due items with a conditional
``update_one`` (several workers never push the same item at once) and counts attempts at
claim time, so an adapter knows when an earlier attempt may have reached the CRM.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from inbox.domain.errors import NotFound
from inbox.domain.models import OutboxItem, OutboxStatus, RemoteRef
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database, Doc


class MongoOutboxRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_outbox"]

    async def enqueue(self, item: OutboxItem) -> bool:
        doc = to_doc(item)
        doc["lease_until"] = None
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def get(self, item_id: str) -> OutboxItem:
        doc = await self._c.find_one({"_id": item_id})
        if doc is None:
            raise NotFound(f"outbox item {item_id} not found", code="outbox_item_not_found")
        return from_doc(OutboxItem, doc)

    async def claim_due(self, now: datetime, lease_s: float, limit: int) -> list[OutboxItem]:
        cursor = (
            self._c.find(
                {
                    "status": OutboxStatus.PENDING.value,
                    "next_attempt_at": {"$lte": now},
                    "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
                }
            )
            .sort([("next_attempt_at", ASCENDING), ("created_at", ASCENDING)])
            .limit(limit)
        )
        claimed: list[OutboxItem] = []
        until = now + timedelta(seconds=lease_s)
        async for doc in cursor:
            result = await self._c.update_one(
                {
                    "_id": doc["_id"],
                    "status": OutboxStatus.PENDING.value,
                    "lease_until": doc.get("lease_until"),
                },
                {"$set": {"lease_until": until, "updated_at": now}, "$inc": {"attempts": 1}},
            )
            if result.modified_count == 1:
                claimed.append(await self.get(doc["_id"]))
        return claimed

    async def _set(self, item_id: str, setter: Doc) -> None:
        await self._c.update_one({"_id": item_id}, {"$set": {**setter, "lease_until": None}})

    async def mark_done(self, item_id: str, remote_id: str | None, now: datetime) -> None:
        await self._set(
            item_id,
            {
                "status": OutboxStatus.DONE.value,
                "remote_id": remote_id,
                "updated_at": now,
                "last_error": None,
                "last_error_code": None,
            },
        )

    async def mark_retry(
        self, item_id: str, reason: str, code: str | None, next_at: datetime, now: datetime
    ) -> None:
        await self._set(
            item_id,
            {
                "next_attempt_at": next_at,
                "last_error": reason,
                "last_error_code": code,
                "updated_at": now,
            },
        )

    async def mark_failed(self, item_id: str, reason: str, code: str | None, now: datetime) -> None:
        await self._set(
            item_id,
            {
                "status": OutboxStatus.FAILED.value,
                "last_error": reason,
                "last_error_code": code,
                "updated_at": now,
            },
        )

    async def requeue(self, item_id: str, now: datetime) -> OutboxItem:
        await self._set(
            item_id,
            {"status": OutboxStatus.PENDING.value, "next_attempt_at": now, "updated_at": now},
        )
        return await self.get(item_id)

    async def list(
        self, *, status: str | None = None, limit: int = 100, skip: int = 0
    ) -> list[OutboxItem]:
        query: Doc = {} if status is None else {"status": status}
        cursor = (
            self._c.find(query).sort([("updated_at", DESCENDING), ("_id", ASCENDING)]).skip(skip)
        ).limit(limit)
        return [from_doc(OutboxItem, d) async for d in cursor]


class MongoRemoteRefRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_remote_refs"]

    @staticmethod
    def _key(system: str, entity: str, local_id: str) -> str:
        return f"{system}:{entity}:{local_id}"

    async def get(self, system: str, entity: str, local_id: str) -> RemoteRef | None:
        doc = await self._c.find_one({"_id": self._key(system, entity, local_id)})
        return from_doc(RemoteRef, doc) if doc else None

    async def put(self, ref: RemoteRef) -> None:
        key = self._key(ref.system, ref.entity, ref.local_id)
        # A concurrent store wins: the first remote id stays.
        with contextlib.suppress(DuplicateKeyError):
            await self._c.update_one({"_id": key}, {"$setOnInsert": to_doc(ref)}, upsert=True)
