"""Queries behind the operator inbox: filtered, scoped, cursor-paginated conversation lists,
counts per tab, search (contact name, phone, email, message text) and small state changes.

The caller (the web layer) builds the audience filter; this module only composes it with
the user's filters and never widens it.
"""

from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DESCENDING

from inbox.domain.errors import NotFound, ValidationFailed
from inbox.domain.models import Conversation, ConversationStatus, Message
from inbox.domain.web_ports import ConversationFilter
from inbox.store.conversations import wake_if_snoozed
from inbox.store.docs import from_doc
from inbox.store.mongo import Database
from inbox.store.search import digits, prefix_regex, words

SEARCH_LIMIT = 500


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.updated_at.isoformat()}|{conversation.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor of :func:`encode_cursor` names; anything else is a 422.

    A crafted cursor may hold any date: it must be aware and convert to UTC (a date at the
    edge of the calendar overflows there), and the id must look like one of ours.
    """
    try:
        at, _, cid = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not cid.isalnum() or len(cid) > 64:
            raise ValueError("not a cursor of ours")
        return moment.astimezone(UTC), cid
    except (ValueError, UnicodeDecodeError, OverflowError) as e:
        raise ValidationFailed("bad cursor", code="bad_cursor") from e


class MongoInboxQueries:
    def __init__(self, db: Database) -> None:
        self._conversations = db["conversations"]
        self._messages = db["messages"]
        self._contacts = db["contacts"]

    async def _search_clause(self, q: str) -> dict[str, Any]:
        """Conversations whose contact or whose messages match every word of ``q``."""
        terms = words(q)[:5]
        if not terms:
            return {"_id": {"$in": []}}  # nothing searchable in the query: no match
        contact_query: list[dict[str, Any]] = [
            {"$and": [{"name_words": prefix_regex(t)} for t in terms]}
        ]
        if "@" in q:
            contact_query.append({"emails": prefix_regex(q.strip().casefold())})
        phone = digits(q)
        if len(phone) >= 4:
            contact_query.append({"phone_suffixes": prefix_regex(phone)})
        contact_ids = [
            d["_id"]
            async for d in self._contacts.find({"$or": contact_query}, {"_id": 1}).limit(
                SEARCH_LIMIT
            )
        ]
        message_query = {"$and": [{"search_words": prefix_regex(t)} for t in terms]}
        conversation_ids = {
            d["conversation_id"]
            async for d in self._messages.find(message_query, {"conversation_id": 1})
            .sort("_id", DESCENDING)
            .limit(SEARCH_LIMIT)
        }
        return {
            "$or": [
                {"contact_id": {"$in": contact_ids}},
                {"_id": {"$in": sorted(conversation_ids)}},
            ]
        }

    async def _query(
        self, audience: dict[str, Any], flt: ConversationFilter, now: datetime
    ) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = [audience] if audience else []
        if flt.assignee_id:
            clauses.append({"assignee_id": flt.assignee_id})
        if flt.unassigned:
            clauses.append({"assignee_id": None})
        if flt.team_ids is not None:
            clauses.append({"team_id": {"$in": list(flt.team_ids)}})
        if flt.line_id:
            clauses.append({"line_id": flt.line_id})
        if flt.channel:
            clauses.append({"channel": flt.channel.value})
        if flt.status:
            clauses.append({"status": flt.status.value})
        elif flt.active_only:
            clauses.append({"active": True})
        if flt.waiting_min is not None:
            cutoff = now - timedelta(minutes=flt.waiting_min)
            clauses.append({"active": True, "last_customer_message_at": {"$lte": cutoff}})
            clauses.append(
                {
                    "$or": [
                        {"last_response_at": None},
                        {"$expr": {"$lt": ["$last_response_at", "$last_customer_message_at"]}},
                    ]
                }
            )
        if flt.q and flt.q.strip():
            clauses.append(await self._search_clause(flt.q))
        return {"$and": clauses} if clauses else {}

    async def list_conversations(
        self,
        audience: dict[str, Any],
        flt: ConversationFilter,
        now: datetime,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[Conversation], str | None]:
        """One page, newest activity first, and the cursor of the next page (or None)."""
        query = await self._query(audience, flt, now)
        if cursor:
            at, cid = decode_cursor(cursor)
            after = {"$or": [{"updated_at": {"$lt": at}}, {"updated_at": at, "_id": {"$lt": cid}}]}
            query = {"$and": [query, after]} if query else after
        found = (
            self._conversations.find(query)
            .sort([("updated_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit + 1)
        )
        items = [from_doc(Conversation, d) async for d in found]
        more = len(items) > limit
        items = items[:limit]
        return items, (encode_cursor(items[-1]) if more and items else None)

    async def count(self, audience: dict[str, Any], flt: ConversationFilter, now: datetime) -> int:
        return await self._conversations.count_documents(await self._query(audience, flt, now))

    async def summary(self, audience: dict[str, Any]) -> tuple[dict[str, int], dict[str, int], int]:
        query = {"$and": [audience, {"active": True}]} if audience else {"active": True}
        by_status: Counter[str] = Counter()
        by_assignee: Counter[str] = Counter()
        unassigned = 0
        async for doc in self._conversations.find(query, {"status": 1, "assignee_id": 1}):
            by_status[doc["status"]] += 1
            if doc.get("assignee_id"):
                by_assignee[doc["assignee_id"]] += 1
            else:
                unassigned += 1
        return dict(by_status), dict(by_assignee), unassigned

    async def mark_read(self, conversation_id: str) -> Conversation:
        result = await self._conversations.update_one(
            {"_id": conversation_id}, {"$set": {"unread_count": 0}}
        )
        if result.matched_count == 0:
            raise NotFound(f"conversation {conversation_id} not found")
        doc = await self._conversations.find_one({"_id": conversation_id})
        assert doc is not None
        return from_doc(Conversation, doc)

    async def message_with_file(self, file_id: str) -> Message | None:
        doc = await self._messages.find_one({"attachments.file_id": file_id})
        return from_doc(Message, doc) if doc else None

    async def due_snoozed(self, now: datetime, limit: int = 100) -> list[Conversation]:
        cursor = self._conversations.find(
            {"status": ConversationStatus.SNOOZED.value, "snoozed_until": {"$lte": now}}
        ).limit(limit)
        return [from_doc(Conversation, d) async for d in cursor]

    async def wake(self, conversation_id: str, now: datetime) -> Conversation | None:
        if not await wake_if_snoozed(self._conversations, conversation_id, now):
            return None
        doc = await self._conversations.find_one({"_id": conversation_id})
        return from_doc(Conversation, doc) if doc else None
