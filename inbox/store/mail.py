"""Email storage: conversations found by thread (several per customer), and IMAP state.

Email conversations carry two storage-only fields: ``thread_key`` (the Message-ID, or
raw-bytes hash, of the mail that started it) and ``subject_key`` (the normalized
subject). The unique index on active conversations includes ``thread_key`` (absent, so
null, on every other channel: one active conversation per customer there, as before),
so racing deliveries of one mail still create one conversation, and two mail threads of
one customer are two conversations.

``mail_refs`` maps (line, contact, referenced Message-ID) to the conversation a stored
mail naming it went to, for mail that arrives before the mail it answers.

``mailboxes`` holds one document per email line: ``uidvalidity``, ``last_uid`` and a
lease (``owner``, ``lease_until``). Progress is written only by the lease holder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from inbox.domain.ids import new_id
from inbox.domain.models import Contact, Conversation, ConversationStatus, Line
from inbox.domain.ports import ThreadResult
from inbox.store.conversations import conversation_doc, reopen_update, wake_if_snoozed
from inbox.store.docs import from_doc
from inbox.store.mongo import Database

MAX_LOOKUPS = 10


def _ref_key(line_id: str, contact_id: str, reference: str) -> str:
    return f"{line_id}:{contact_id}:{reference}"


class MongoMailThreads:
    def __init__(self, db: Database) -> None:
        self._c = db["conversations"]
        self._messages = db["messages"]
        self._refs = db["mail_refs"]

    async def by_messages(
        self, line_id: str, contact_id: str, external_ids: Sequence[str]
    ) -> Conversation | None:
        # One indexed equality read per id, In-Reply-To first (SecantusDB scans for $in);
        # the nearest ten references are enough to find a thread.
        for external_id in list(dict.fromkeys(external_ids))[:MAX_LOOKUPS]:
            doc = await self._messages.find_one(
                {"line_id": line_id, "external_id": external_id}, {"conversation_id": 1}
            )
            if doc is None:
                continue
            match = await self._c.find_one({"_id": doc["conversation_id"]})
            if match is not None and match.get("contact_id") == contact_id:
                return from_doc(Conversation, match)
        return None

    async def by_related(
        self, line_id: str, contact_id: str, external_ids: Sequence[str]
    ) -> Conversation | None:
        keys = [_ref_key(line_id, contact_id, x) for x in dict.fromkeys(external_ids)][:65]
        if not keys:
            return None
        async for doc in self._refs.find({"_id": {"$in": keys}}).limit(1):
            match = await self._c.find_one({"_id": doc["conversation_id"]})
            if match is not None:
                return from_doc(Conversation, match)
        return None

    async def remember(
        self, line_id: str, contact_id: str, conversation_id: str, references: Sequence[str]
    ) -> None:
        """Note which conversation a mail naming these references went to (by ``_id``, so
        the lookup above is a key read on any server, not a scan)."""
        docs = [
            {"_id": _ref_key(line_id, contact_id, r), "conversation_id": conversation_id}
            for r in dict.fromkeys(references)
        ][:64]
        if docs:
            with contextlib.suppress(BulkWriteError):  # already noted: the first one stays
                await self._refs.insert_many(docs, ordered=False)

    async def by_subject(
        self, line_id: str, contact_id: str, subject_key: str, since: datetime
    ) -> Conversation | None:
        # A customer has few conversations: read them by the contact index and choose here
        # (SecantusDB scans the collection for a sorted or ranged query).
        best: dict[str, Any] | None = None
        async for doc in self._c.find({"contact_id": contact_id, "line_id": line_id}):
            last = doc.get("last_message_at")
            if doc.get("subject_key") != subject_key or last is None or last < since:
                continue
            if best is None or last > best["last_message_at"]:
                best = doc
        return from_doc(Conversation, best) if best is not None else None

    async def join(
        self,
        conversation: Conversation,
        now: datetime,
        *,
        subject: str | None,
        subject_key: str | None,
    ) -> ThreadResult:
        if subject and subject != conversation.subject:
            # A reply that changed the subject stays in its thread; the new subject shows.
            change: dict[str, Any] = {"subject": subject[:998]}
            if subject_key:
                change["subject_key"] = subject_key
            await self._c.update_one({"_id": conversation.id}, {"$set": change})
        if conversation.status is ConversationStatus.SNOOZED:
            woken = await wake_if_snoozed(self._c, conversation.id, now)
            return ThreadResult(await self._get(conversation.id), False, False, woken=woken)
        if conversation.status is ConversationStatus.RESOLVED:
            try:
                result = await self._c.update_one(
                    {"_id": conversation.id, "status": ConversationStatus.RESOLVED.value},
                    reopen_update(now),
                )
            except DuplicateKeyError:  # the same thread is active elsewhere: stay there
                return ThreadResult(await self._get(conversation.id), False, False)
            reopened = result.modified_count == 1
            return ThreadResult(await self._get(conversation.id), False, reopened)
        return ThreadResult(await self._get(conversation.id), False, False)

    async def start(
        self,
        line: Line,
        contact: Contact,
        now: datetime,
        *,
        thread_key: str,
        subject: str | None,
        subject_key: str | None,
        source: str | None = None,
    ) -> ThreadResult:
        fresh = Conversation(
            id=new_id(),
            line_id=line.id,
            channel=line.kind,
            contact_id=contact.id,
            team_id=line.routing.team_id,
            queued_at=now,
            source=source,
            subject=subject[:998] if subject else None,
            created_at=now,
            updated_at=now,
            last_message_at=now,
        )
        doc = conversation_doc(fresh) | {"thread_key": thread_key, "subject_key": subject_key}
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError:  # a concurrent delivery of the same mail started it
            existing = await self._c.find_one(
                {"line_id": line.id, "contact_id": contact.id, "thread_key": thread_key}
            )
            if existing is not None:
                return ThreadResult(from_doc(Conversation, existing), False, False)
            raise
        return ThreadResult(fresh, created=True, reopened=False)

    async def _get(self, conversation_id: str) -> Conversation:
        doc = await self._c.find_one({"_id": conversation_id})
        assert doc is not None  # conversations are never deleted
        return from_doc(Conversation, doc)


class MongoMailboxStates:
    def __init__(self, db: Database) -> None:
        self._c = db["mailboxes"]

    async def acquire(self, line_id: str, owner: str, now: datetime, lease_s: float) -> bool:
        until = now + timedelta(seconds=lease_s)
        try:
            result = await self._c.update_one(
                {
                    "_id": line_id,
                    "$or": [{"owner": owner}, {"lease_until": {"$lt": now}}, {"owner": None}],
                },
                {"$set": {"owner": owner, "lease_until": until}},
                upsert=True,
            )
        except DuplicateKeyError:  # the document exists and someone else holds it
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def release(self, line_id: str, owner: str) -> None:
        await self._c.update_one(
            {"_id": line_id, "owner": owner}, {"$set": {"owner": None, "lease_until": None}}
        )

    async def position(self, line_id: str) -> tuple[int | None, int]:
        doc = await self._c.find_one({"_id": line_id})
        if doc is None:
            return None, 0
        return doc.get("uidvalidity"), int(doc.get("last_uid") or 0)

    async def advance(
        self, line_id: str, owner: str, uidvalidity: int, last_uid: int, now: datetime
    ) -> bool:
        result = await self._c.update_one(
            {"_id": line_id, "owner": owner},
            {"$set": {"uidvalidity": uidvalidity, "last_uid": last_uid, "updated_at": now}},
        )
        return result.matched_count == 1
