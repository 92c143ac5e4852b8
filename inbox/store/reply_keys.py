"""Idempotency keys of operators' replies in MongoDB: a retried ``POST .../messages`` with the
same ``Idempotency-Key`` finds the reply the first attempt stored and never sends twice.

A key is bound to one message id for ``ttl_s`` (24 h); MongoDB's TTL index removes it some
time later, and the expiry is checked in the query, never left to the TTL's timing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from inbox.store.mongo import Database


class MongoReplyKeys:
    def __init__(self, db: Database) -> None:
        self._c = db["reply_keys"]

    async def bind(self, key: str, message_id: str, now: datetime, ttl_s: float) -> str:
        """Bind ``key`` to ``message_id`` unless it is bound already; the bound message id."""
        for _ in range(3):  # an expired binding is replaced; two first attempts may race
            doc = await self._c.find_one({"_id": key})
            if doc is not None and doc["expires_at"] > now:
                return str(doc["message_id"])
            if doc is not None:
                await self._c.delete_one({"_id": key, "expires_at": doc["expires_at"]})
            try:
                await self._c.insert_one(
                    {
                        "_id": key,
                        "message_id": message_id,
                        "expires_at": now + timedelta(seconds=ttl_s),
                    }
                )
            except DuplicateKeyError:
                continue
            return message_id
        doc = await self._c.find_one({"_id": key})
        return str(doc["message_id"]) if doc is not None else message_id
