"""What customers do to stored messages afterwards (reactions, unsends, read receipts), and
the lookups that keep platform echoes from doubling the hub's own copies (MessageMarks).

The same ``messages`` collection as :mod:`inbox.store.messages`; every write is keyed by
``_id`` after one lookup by the platform's id, and idempotent, so replays are harmless.
"""

from __future__ import annotations

from datetime import datetime

from inbox.domain.errors import NotFound
from inbox.domain.models import DeliveryStatus, Direction, Message
from inbox.store.conversations import PREVIEW_CHARS
from inbox.store.docs import from_doc
from inbox.store.mongo import Database

_SENDABLE = [DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value]


UNSENT_PREVIEW = "[unsent]"


class MongoMessageMarks:
    def __init__(self, db: Database) -> None:
        self._c = db["messages"]
        self._conversations = db["conversations"]

    async def _get(self, message_id: str) -> Message:
        doc = await self._c.find_one({"_id": message_id})
        if doc is None:
            raise NotFound(f"message {message_id} not found", code="message_not_found")
        return from_doc(Message, doc)

    async def find_external(self, line_id: str, external_id: str) -> Message | None:
        doc = await self._c.find_one({"line_id": line_id, "external_id": external_id})
        if doc is None:
            doc = await self._c.find_one({"line_id": line_id, "extra_external_ids": external_id})
        return from_doc(Message, doc) if doc else None

    async def set_reaction(
        self, line_id: str, external_id: str, by: str, emoji: str | None, at: datetime
    ) -> Message | None:
        message = await self.find_external(line_id, external_id)
        if message is None:
            return None
        mine = next((r for r in message.reactions if r.by == by), None)
        if mine is not None and mine.at > at:
            return None  # an older event arriving late (platforms do not keep order)
        # One reaction per person: theirs is replaced (or removed when emoji is None).
        await self._c.update_one({"_id": message.id}, {"$pull": {"reactions": {"by": by}}})
        if emoji:
            await self._c.update_one(
                {"_id": message.id},
                {"$push": {"reactions": {"by": by, "emoji": emoji, "at": at}}},
            )
        return await self._get(message.id)

    async def mark_deleted(self, line_id: str, external_id: str, at: datetime) -> Message | None:
        message = await self.find_external(line_id, external_id)
        if message is None:
            return None
        result = await self._c.update_one(
            {"_id": message.id, "deleted_at": None}, {"$set": {"deleted_at": at}}
        )
        if not result.modified_count:
            return None
        if message.text:
            # The conversation list must not show what the customer took back.
            await self._conversations.update_one(
                {
                    "_id": message.conversation_id,
                    "last_message_preview": message.text[:PREVIEW_CHARS],
                },
                {"$set": {"last_message_preview": UNSENT_PREVIEW}},
            )
        return await self._get(message.id)

    async def mark_read_up_to(self, conversation_id: str, until: datetime) -> list[Message]:
        query = {
            "conversation_id": conversation_id,
            "direction": Direction.OUT.value,
            "status": {"$in": [DeliveryStatus.SENT.value, DeliveryStatus.DELIVERED.value]},
            "sent_at": {"$lte": until},
        }
        docs = [d async for d in self._c.find(query, {"_id": 1}).limit(500)]
        ids = [d["_id"] for d in docs]
        if not ids:
            return []
        await self._c.update_many(
            {**query, "_id": {"$in": ids}}, {"$set": {"status": DeliveryStatus.READ.value}}
        )
        return [from_doc(Message, d) async for d in self._c.find({"_id": {"$in": ids}})]

    async def in_flight(self, conversation_id: str, now: datetime) -> list[Message]:
        cursor = self._c.find(
            {
                "conversation_id": conversation_id,
                "direction": Direction.OUT.value,
                "status": {"$in": _SENDABLE},
                "lease_until": {"$gt": now},
            }
        ).limit(20)
        return [from_doc(Message, d) async for d in cursor]
