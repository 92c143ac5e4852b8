"""Signed webhooks the hub refused, in MongoDB: one record per line and body hash."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from inbox.domain.inbound import RejectedWebhook
from inbox.store.mongo import Database


class MongoRejectedWebhooks:
    def __init__(self, db: Database) -> None:
        self._c = db["rejected_webhooks"]

    async def record(self, rejection: RejectedWebhook) -> None:
        key = {"line_id": rejection.line_id, "sha256": rejection.sha256}
        first = {
            "channel": rejection.channel,
            "code": rejection.code,
            "reason": rejection.reason,
            "size": rejection.size,
            "at": rejection.at,
        }
        change = {"$setOnInsert": first, "$set": {"last_at": rejection.at}, "$inc": {"count": 1}}
        for _ in range(2):  # two first deliveries of one body may race on the unique key
            try:
                await self._c.update_one(key, change, upsert=True)
                return
            except DuplicateKeyError:
                continue
