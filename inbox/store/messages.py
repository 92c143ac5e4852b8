"""Messages in MongoDB: idempotent inbound storage and the outbound send queue.

Inbound messages are unique per ``(line_id, external_id)``. Outbound messages wait in
``pending``/``retrying`` with ``next_attempt_at``; a sender claims one with a lease
(conditional ``update_one``), so two processes never send the same message at once and a
crashed sender's message is picked up again when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from inbox.domain.downloads import needs_download
from inbox.domain.errors import NotFound, PayloadRejected
from inbox.domain.models import (
    DELIVERY_RANK,
    DeliveryStatus,
    Direction,
    Message,
)
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database, storable
from inbox.store.search import words

_SENDABLE = [DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value]
_ACCEPTED = [s.value for s in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ)]


class MongoMessageRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["messages"]

    async def insert(self, message: Message) -> tuple[Message, bool]:
        doc = to_doc(message)
        doc["search_words"] = words(message.text)
        if message.direction is Direction.IN:
            doc["hooks_done"] = False
            if any(needs_download(a) for a in message.attachments):
                doc["files_pending"] = True
                doc["files_next_at"] = message.created_at
        elif message.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
            doc["next_attempt_at"] = message.created_at
        try:
            with storable("message"):
                await self._c.insert_one(doc)
        except DuplicateKeyError as e:
            if message.external_id is None:
                # A keyed reply whose id a concurrent retry of the same key stored first.
                first = await self._c.find_one({"_id": message.id})
                if first is None:
                    raise
                return from_doc(Message, first), False
            existing = await self.get_by_external(message.line_id, message.external_id)
            if existing is None:  # another unique index refused it: retrying cannot help
                raise PayloadRejected("the message cannot be stored", code="unstorable") from e
            return existing, False
        return message, True

    async def get(self, message_id: str) -> Message:
        doc = await self._c.find_one({"_id": message_id})
        if doc is None:
            raise NotFound(f"message {message_id} not found", code="message_not_found")
        return from_doc(Message, doc)

    async def get_by_external(self, line_id: str, external_id: str) -> Message | None:
        doc = await self._c.find_one({"line_id": line_id, "external_id": external_id})
        return from_doc(Message, doc) if doc else None

    async def hooks_done(self, message_id: str) -> bool:
        doc = await self._c.find_one({"_id": message_id}, {"hooks_done": 1})
        return bool(doc is None or doc.get("hooks_done", True))

    async def apply_edit(
        self, line_id: str, external_id: str, text: str | None, edited_at: datetime
    ) -> Message | None:
        current = await self.get_by_external(line_id, external_id)
        if current is None:
            return None
        if current.edited_at is not None and current.edited_at >= edited_at:
            return None  # a replay or an older edit arriving late
        result = await self._c.update_one(
            # The condition makes concurrent replays of one edit apply once.
            {"_id": current.id, "edited_at": current.edited_at},
            {
                "$set": {"text": text, "edited_at": edited_at, "search_words": words(text)},
                "$push": {"versions": {"text": current.text, "edited_at": edited_at}},
            },
        )
        return await self.get(current.id) if result.modified_count else None

    async def mark_hooks_done(self, message_id: str) -> None:
        await self._c.update_one({"_id": message_id}, {"$set": {"hooks_done": True}})

    async def hooks_pending(self, older_than: datetime, limit: int = 100) -> list[Message]:
        cursor = (
            self._c.find({"hooks_done": False, "created_at": {"$lt": older_than}})
            .sort("created_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Message, d) async for d in cursor]

    async def list_for_conversation(
        self, conversation_id: str, *, before: str | None = None, limit: int = 50
    ) -> list[Message]:
        query: dict[str, Any] = {"conversation_id": conversation_id}
        if before:
            query["_id"] = {"$lt": before}
        cursor = self._c.find(query).sort("_id", DESCENDING).limit(limit)
        return [from_doc(Message, d) async for d in cursor]

    async def claim_for_send(
        self, message_id: str, now: datetime, lease_s: float
    ) -> Message | None:
        result = await self._c.update_one(
            {
                "_id": message_id,
                "status": {"$in": _SENDABLE},
                "next_attempt_at": {"$lte": now},
                "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}],
            },
            {"$set": {"lease_until": now + timedelta(seconds=lease_s)}, "$inc": {"attempts": 1}},
        )
        return await self.get(message_id) if result.modified_count == 1 else None

    async def mark_sent(
        self,
        message_id: str,
        external_id: str,
        at: datetime,
        extra_external_ids: Sequence[str] = (),
    ) -> Message:
        # The extra ids (a reply split into several platform messages) are lookup keys for
        # receipts only: the unique index stays on ``external_id``, the first part.
        change = {
            "$set": {
                "status": DeliveryStatus.SENT.value,
                "external_id": external_id,
                "extra_external_ids": list(extra_external_ids),
                "sent_at": at,
                "error": None,
                "lease_until": None,
                "next_attempt_at": None,
            }
        }
        try:
            await self._c.update_one({"_id": message_id}, change)
        except DuplicateKeyError:
            # The platform's echo of this very send overtook its answer and was stored as
            # a message sent outside the hub: ours is the original, the copy goes.
            mine = await self.get(message_id)
            await self._c.delete_one(
                {"line_id": mine.line_id, "external_id": external_id, "sent_outside": True}
            )
            await self._c.update_one({"_id": message_id}, change)
        return await self.get(message_id)

    async def mark_retry(
        self, message_id: str, reason: str, next_attempt_at: datetime, now: datetime
    ) -> Message:
        await self._c.update_one(
            {"_id": message_id},
            {
                "$set": {
                    "status": DeliveryStatus.RETRYING.value,
                    "error": {"reason": reason, "code": None, "at": now},
                    "next_attempt_at": next_attempt_at,
                    "lease_until": None,
                }
            },
        )
        return await self.get(message_id)

    async def mark_failed(
        self, message_id: str, reason: str, code: str | None, now: datetime
    ) -> Message:
        await self._c.update_one(
            {"_id": message_id},
            {
                "$set": {
                    "status": DeliveryStatus.FAILED.value,
                    "error": {"reason": reason, "code": code, "at": now},
                    "next_attempt_at": None,
                    "lease_until": None,
                }
            },
        )
        return await self.get(message_id)

    async def due_outbound(self, now: datetime, limit: int = 100) -> list[Message]:
        cursor = (
            self._c.find({"status": {"$in": _SENDABLE}, "next_attempt_at": {"$lte": now}})
            .sort("next_attempt_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Message, d) async for d in cursor]

    async def update_status_by_external(
        self,
        line_id: str,
        external_id: str,
        status: DeliveryStatus,
        at: datetime,
        error: str | None = None,
    ) -> Message | None:
        """Move an outbound message's status forward; None if unknown or not a step forward.

        ``external_id`` may also be a later part of a split reply (``extra_external_ids``):
        the message then moves as far as its most advanced part.
        """
        lower = [s.value for s, rank in DELIVERY_RANK.items() if rank < DELIVERY_RANK[status]]
        setter: dict[str, Any] = {"status": status.value}
        if error:
            setter["error"] = {"reason": error, "code": None, "at": at}
        for key in ("external_id", "extra_external_ids"):
            query = {
                "line_id": line_id,
                key: external_id,
                "direction": Direction.OUT.value,
                "status": {"$in": lower},
            }
            result = await self._c.update_one(query, {"$set": setter})
            if result.modified_count == 1:
                doc = await self._c.find_one({"line_id": line_id, key: external_id})
                return from_doc(Message, doc) if doc else None
        return None

    async def count_sent_since(self, conversation_id: str, since: datetime) -> int:
        return await self._c.count_documents(
            {
                "conversation_id": conversation_id,
                "direction": Direction.OUT.value,
                "status": {"$in": _ACCEPTED},
                "sent_at": {"$gte": since},
            }
        )

    async def files_due(self, now: datetime, limit: int = 20) -> list[Message]:
        cursor = (
            self._c.find({"files_pending": True, "files_next_at": {"$lte": now}})
            .sort("files_next_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Message, d) async for d in cursor]

    async def claim_files(self, message_id: str, now: datetime, lease_s: float) -> Message | None:
        """Take the download of a message's files for ``lease_s``; None if another holds it
        or nothing is pending (so duplicates and sweeps never fetch the same file twice)."""
        result = await self._c.update_one(
            {
                "_id": message_id,
                "files_pending": True,
                "$or": [{"files_claimed_until": None}, {"files_claimed_until": {"$lt": now}}],
            },
            {"$set": {"files_claimed_until": now + timedelta(seconds=lease_s)}},
        )
        return await self.get(message_id) if result.modified_count == 1 else None

    async def set_attachment_file(self, message_id: str, index: int, file_id: str) -> None:
        await self._c.update_one(
            {"_id": message_id}, {"$set": {f"attachments.{index}.file_id": file_id}}
        )

    async def files_done(self, message_id: str) -> None:
        await self._c.update_one(
            {"_id": message_id},
            {
                "$set": {"files_pending": False},
                "$unset": {"files_next_at": "", "files_claimed_until": ""},
            },
        )

    async def files_retry(self, message_id: str, reason: str, next_at: datetime) -> int:
        await self._c.update_one(
            {"_id": message_id},
            {
                "$set": {"files_next_at": next_at, "files_error": reason[:500]},
                "$unset": {"files_claimed_until": ""},
                "$inc": {"files_failures": 1},
            },
        )
        doc = await self._c.find_one({"_id": message_id}, {"files_failures": 1})
        return int(doc.get("files_failures", 0)) if doc else 0

    async def last_inbound(self, conversation_id: str) -> Message | None:
        cursor = (
            self._c.find({"conversation_id": conversation_id, "direction": Direction.IN.value})
            .sort("_id", DESCENDING)
            .limit(1)
        )
        docs = [d async for d in cursor]
        return from_doc(Message, docs[0]) if docs else None
