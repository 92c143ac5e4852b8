"""Rotated credentials (e.g. Bitrix24 OAuth refresh tokens) kept across restarts.

Stored like line credentials: in the database, which is the store for secrets.
"""

from __future__ import annotations

from datetime import datetime

from inbox.store.mongo import Database


class MongoCredentialStore:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_credentials"]

    async def get(self, key: str) -> str | None:
        doc = await self._c.find_one({"_id": key})
        return str(doc["value"]) if doc else None

    async def put(self, key: str, value: str, now: datetime) -> None:
        await self._c.update_one(
            {"_id": key}, {"$set": {"value": value, "updated_at": now}}, upsert=True
        )
