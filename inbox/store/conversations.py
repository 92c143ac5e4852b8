"""Conversations in MongoDB, with the threading and reopen rules.

A conversation is *active* until it is resolved; a partial unique index on
``(line_id, contact_id)`` over ``active: true`` guarantees at most one per customer and
line, whatever the number of processes racing to create it.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from inbox.domain.errors import Conflict, NotFound
from inbox.domain.ids import new_id
from inbox.domain.models import Contact, Conversation, ConversationStatus, Hop, Line
from inbox.domain.ports import ThreadResult
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database

_THREAD_TRIES = 8
PREVIEW_CHARS = 140


def conversation_doc(conversation: Conversation) -> dict[str, Any]:
    doc = to_doc(conversation)
    if conversation.status is not ConversationStatus.RESOLVED:
        doc["active"] = True
    return doc


async def wake_if_snoozed(
    collection: AsyncCollection[dict[str, Any]], conversation_id: str, now: datetime
) -> bool:
    """Open a snoozed conversation. Conditional on it still being snoozed, so of concurrent
    wakers (a customer message, the snooze timer, an operator) exactly one reports True."""
    result = await collection.update_one(
        {"_id": conversation_id, "status": ConversationStatus.SNOOZED.value},
        {
            "$set": {
                "status": ConversationStatus.OPEN.value,
                "snoozed_until": None,
                "updated_at": now,
            }
        },
    )
    return result.modified_count == 1


def _later(field: str, at: datetime) -> dict[str, Any]:
    """The later of a stored date (possibly null) and ``at``, inside a pipeline update."""
    return {"$max": [{"$ifNull": [field, at]}, at]}


class MongoConversationRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["conversations"]

    async def thread(
        self,
        line: Line,
        contact: Contact,
        now: datetime,
        *,
        source: str | None = None,
        subject: str | None = None,
    ) -> ThreadResult:
        key = {"line_id": line.id, "contact_id": contact.id}
        for _ in range(_THREAD_TRIES):
            doc = await self._c.find_one({**key, "active": True})
            if doc is not None and doc.get("status") == ConversationStatus.SNOOZED.value:
                return await self._wake(doc, now)
            if doc is not None:
                return ThreadResult(from_doc(Conversation, doc), created=False, reopened=False)
            last = await self._c.find_one(
                {**key, "status": ConversationStatus.RESOLVED.value},
                sort=[("resolved_at", DESCENDING)],
            )
            resolved_at = last.get("resolved_at") if last else None
            if (
                last is not None
                and resolved_at is not None
                and ((now - resolved_at).total_seconds() <= line.reopen_window_s)
            ):
                try:
                    result = await self._c.update_one(
                        {"_id": last["_id"], "status": ConversationStatus.RESOLVED.value},
                        reopen_update(now),
                    )
                except DuplicateKeyError:
                    continue  # another process opened one meanwhile
                if result.modified_count == 1:
                    return ThreadResult(await self.get(last["_id"]), created=False, reopened=True)
                continue
            fresh = Conversation(
                id=new_id(),
                line_id=line.id,
                channel=line.kind,
                contact_id=contact.id,
                team_id=line.routing.team_id,
                queued_at=now,
                source=source,
                subject=subject,
                created_at=now,
                updated_at=now,
            )
            try:
                await self._c.insert_one(conversation_doc(fresh))
            except DuplicateKeyError:
                continue
            return ThreadResult(fresh, created=True, reopened=False)
        raise Conflict(f"could not thread a conversation for contact {contact.id}")

    async def _wake(self, doc: dict[str, Any], now: datetime) -> ThreadResult:
        """A customer wrote to a snoozed conversation: open it now, not at its snooze time.

        Conditional on it still being snoozed, so of concurrent messages (or an operator's
        change) exactly one wakes it and reports ``woken``.
        """
        woken = await wake_if_snoozed(self._c, doc["_id"], now)
        return ThreadResult(await self.get(doc["_id"]), created=False, reopened=False, woken=woken)

    async def discard_if_empty(self, conversation_id: str) -> bool:
        # Only one that never had a message of any kind, in or out, note or reply.
        if await self._c.database["messages"].find_one({"conversation_id": conversation_id}):
            return False
        result = await self._c.delete_one({"_id": conversation_id, "last_message_at": None})
        return result.deleted_count == 1

    async def get(self, conversation_id: str) -> Conversation:
        doc = await self._c.find_one({"_id": conversation_id})
        if doc is None:
            raise NotFound(
                f"conversation {conversation_id} not found", code="conversation_not_found"
            )
        return from_doc(Conversation, doc)

    async def record_inbound(
        self, conversation_id: str, at: datetime, preview: str | None, *, count_unread: bool = True
    ) -> Conversation:
        # A pipeline update: "$min" would keep a stored null, which sorts before any date.
        stage: dict[str, Any] = {
            "last_customer_message_at": _later("$last_customer_message_at", at),
            "last_message_at": _later("$last_message_at", at),
            "updated_at": _later("$updated_at", at),
            "first_customer_message_at": {"$ifNull": ["$first_customer_message_at", at]},
            "last_message_preview": {"$literal": (preview or "")[:PREVIEW_CHARS]},
        }
        if count_unread:
            stage["unread_count"] = {"$add": [{"$ifNull": ["$unread_count", 0]}, 1]}
        await self._c.update_one({"_id": conversation_id}, [{"$set": stage}])
        return await self.get(conversation_id)

    async def record_outbound(
        self, conversation_id: str, at: datetime, preview: str | None
    ) -> Conversation:
        stage = {
            "last_operator_message_at": _later("$last_operator_message_at", at),
            "last_message_at": _later("$last_message_at", at),
            "updated_at": _later("$updated_at", at),
            "last_message_preview": {"$literal": (preview or "")[:PREVIEW_CHARS]},
            "unread_count": 0,
        }
        await self._c.update_one({"_id": conversation_id}, [{"$set": stage}])
        return await self.get(conversation_id)

    async def record_response(self, conversation_id: str, at: datetime) -> None:
        stage = {
            "first_operator_response_at": {"$ifNull": ["$first_operator_response_at", at]},
            "last_response_at": _later("$last_response_at", at),
        }
        await self._c.update_one({"_id": conversation_id}, [{"$set": stage}])

    async def set_status(
        self,
        conversation_id: str,
        status: ConversationStatus,
        now: datetime,
        *,
        snoozed_until: datetime | None = None,
    ) -> Conversation:
        change: dict[str, Any]
        if status is ConversationStatus.RESOLVED:
            change = {
                "$set": {"status": status.value, "resolved_at": now, "updated_at": now},
                "$unset": {"active": ""},
                "$push": {STATUS_LOG: status_entry("resolved", now)},
            }
        else:
            change = {
                "$set": {
                    "status": status.value,
                    "active": True,
                    "updated_at": now,
                    "snoozed_until": snoozed_until,
                    "resolved_at": None,
                }
            }
            if status is ConversationStatus.SNOOZED:
                change["$set"]["reply_due_at"] = None  # snooze pauses the no-reply deadline
            current = await self.get(conversation_id)
            if current.status is ConversationStatus.RESOLVED:
                change["$inc"] = {"reopen_count": 1}
                change["$push"] = {STATUS_LOG: status_entry("reopened", now)}
        try:
            result = await self._c.update_one({"_id": conversation_id}, change)
        except DuplicateKeyError as e:
            raise Conflict(
                "the customer already has another open conversation on this line",
                code="conversation_already_open",
            ) from e
        if result.matched_count == 0:
            raise NotFound(
                f"conversation {conversation_id} not found", code="conversation_not_found"
            )
        return await self.get(conversation_id)

    async def list(
        self,
        *,
        line_id: str | None = None,
        status: ConversationStatus | None = None,
        assignee_id: str | None = None,
        contact_id: str | None = None,
        limit: int = 50,
    ) -> list[Conversation]:
        query: dict[str, Any] = {}
        if line_id:
            query["line_id"] = line_id
        if status:
            query["status"] = status.value
        if assignee_id:
            query["assignee_id"] = assignee_id
        if contact_id:
            query["contact_id"] = contact_id
        cursor = self._c.find(query).sort("_id", DESCENDING).limit(limit)
        return [from_doc(Conversation, d) async for d in cursor]

    async def set_assignee(
        self,
        conversation_id: str,
        *,
        expected: str | None,
        assignee: str | None,
        team_id: str | None,
        hop: Hop,
        needs_attention: bool = False,
        reply_due_at: datetime | None = None,
    ) -> Conversation | None:
        change: dict[str, Any] = {
            "assignee_id": assignee,
            "team_id": team_id,
            "assigned_at": hop.at if assignee else None,
            "updated_at": hop.at,
            "needs_attention": needs_attention,
            "reply_due_at": reply_due_at,
        }
        if assignee is None:
            change["queued_at"] = hop.at
        result = await self._c.update_one(
            {"_id": conversation_id, "assignee_id": expected},
            {"$set": change, "$push": {"hops": hop.model_dump()}},
        )
        return await self.get(conversation_id) if result.modified_count == 1 else None

    async def queue(
        self, *, line_ids: Sequence[str] | None = None, limit: int = 100
    ) -> builtins.list[Conversation]:
        query: dict[str, Any] = {
            "active": True,
            "assignee_id": None,
            "status": ConversationStatus.OPEN.value,
            "needs_attention": {"$ne": True},
        }
        if line_ids is not None:
            query["line_id"] = {"$in": list(line_ids)}
        cursor = (
            self._c.find(query)
            .sort([("priority", DESCENDING), ("queued_at", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [from_doc(Conversation, d) async for d in cursor]

    async def assignments(self) -> builtins.list[tuple[str, str]]:
        cursor = self._c.find(
            {"active": True, "assignee_id": {"$type": "string"}}, {"assignee_id": 1}
        )
        return [(d["_id"], d["assignee_id"]) async for d in cursor]

    async def set_reply_due(
        self, conversation_id: str, due: datetime | None, *, only_if_unset: bool = False
    ) -> None:
        query: dict[str, Any] = {"_id": conversation_id}
        if only_if_unset:
            query["reply_due_at"] = None
        await self._c.update_one(query, {"$set": {"reply_due_at": due}})

    async def reply_overdue(self, now: datetime, limit: int = 100) -> builtins.list[Conversation]:
        cursor = (
            self._c.find(
                {
                    "active": True,
                    "status": ConversationStatus.OPEN.value,
                    "reply_due_at": {"$lte": now},
                    "assignee_id": {"$type": "string"},
                }
            )
            .sort("reply_due_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Conversation, d) async for d in cursor]

    async def last_served_by(self, contact_id: str, line_id: str) -> tuple[str, datetime] | None:
        doc = await self._c.find_one(
            {
                "line_id": line_id,
                "contact_id": contact_id,
                "status": ConversationStatus.RESOLVED.value,
                "assignee_id": {"$type": "string"},
            },
            sort=[("resolved_at", DESCENDING)],
        )
        if doc is None or doc.get("resolved_at") is None:
            return None
        return doc["assignee_id"], doc["resolved_at"]


def reopen_update(now: datetime) -> dict[str, Any]:
    """The update that reopens a resolved conversation (guarded by its status)."""
    return {
        "$set": {
            "status": ConversationStatus.OPEN.value,
            "active": True,
            "updated_at": now,
            "resolved_at": None,
            "needs_attention": False,
            "queued_at": now,
        },
        "$inc": {"reopen_count": 1},
        "$push": {STATUS_LOG: status_entry("reopened", now)},
    }


# Storage-only history of resolutions and reopenings: the reports cut a conversation into
# cycles with it (``inbox.services.reports``). Bounded: the last entries only.
STATUS_LOG = "status_log"
STATUS_LOG_MAX = 200


def status_entry(status: str, now: datetime) -> dict[str, Any]:
    return {"$each": [{"status": status, "at": now}], "$slice": -STATUS_LOG_MAX}
