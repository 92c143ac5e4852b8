"""The CRM side's writes on contacts and conversations: companies, links, matching, merges.

A merge moves the source contact's channel identities (and so its future messages),
phones, emails and conversations to the target, and marks the source ``merged_into``; the
:class:`~inbox.domain.models.ContactMerge` record lists exactly what moved so
:meth:`MongoCrmContactStore.revert_merge` can put it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from inbox.domain.crm_audience import in_chunks
from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import (
    ChannelIdentity,
    Contact,
    ContactMerge,
    Conversation,
    MergeProposal,
    MergeProposalStatus,
)
from inbox.store.crm import find_any
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database, Doc


class MongoCrmContactStore:
    def __init__(self, db: Database) -> None:
        self._contacts = db["contacts"]
        self._conversations = db["conversations"]

    async def _contact(self, contact_id: str) -> Contact:
        doc = await self._contacts.find_one({"_id": contact_id})
        if doc is None:
            raise NotFound(f"contact {contact_id} not found", code="contact_not_found")
        return from_doc(Contact, doc)

    async def set_company(self, contact_id: str, company_id: str | None, now: datetime) -> None:
        result = await self._contacts.update_one(
            {"_id": contact_id}, {"$set": {"company_id": company_id, "updated_at": now}}
        )
        if result.matched_count == 0:
            raise NotFound(f"contact {contact_id} not found", code="contact_not_found")

    async def by_company(self, company_id: str, limit: int = 200) -> list[Contact]:
        cursor = self._contacts.find({"company_id": company_id, "merged_into": None}).limit(limit)
        return [from_doc(Contact, d) async for d in cursor]

    async def matching(self, contact: Contact, keys: Sequence[str]) -> list[Contact]:
        # Write first, then read: of two contacts indexed at the same time, at least one
        # sees the other, so a match is never missed by a race.
        await self._contacts.update_one({"_id": contact.id}, {"$set": {"match_keys": list(keys)}})
        if not keys:
            return []
        cursor = self._contacts.find(
            {"match_keys": {"$in": list(keys)}, "_id": {"$ne": contact.id}, "merged_into": None}
        ).limit(50)
        return [from_doc(Contact, d) async for d in cursor]

    async def absorbed_into(self, contact_id: str) -> list[str]:
        found: list[str] = []
        frontier = [contact_id]
        while frontier and len(found) < 100:
            cursor = self._contacts.find({"merged_into": {"$in": frontier}}, {"_id": 1})
            frontier = [d["_id"] async for d in cursor if d["_id"] not in found]
            found.extend(frontier)
        return found

    async def link_conversation(
        self, conversation_id: str, *, lead_id: str | None = None, deal_id: str | None = None
    ) -> None:
        setter: Doc = {}
        if lead_id is not None:
            setter["lead_id"] = lead_id
        if deal_id is not None:
            setter["deal_id"] = deal_id
        if setter:
            await self._conversations.update_one({"_id": conversation_id}, {"$set": setter})

    async def conversations_of(
        self, contact_ids: Sequence[str], limit: int = 500
    ) -> list[Conversation]:
        cursor = (
            self._conversations.find({"contact_id": {"$in": list(contact_ids)}})
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [from_doc(Conversation, d) async for d in cursor]

    async def audience_contact_ids(self, audience: Doc) -> list[str]:
        # One distinct per branch of a top-level $or: each uses its own index, where
        # SecantusDB would scan the whole collection for the $or.
        branches = audience["$or"] if list(audience) == ["$or"] else [audience]
        ids: set[str] = set()
        for branch in branches:
            found = await self._conversations.distinct("contact_id", branch)
            ids.update(str(i) for i in found if i)
        return sorted(ids)

    async def company_ids_of(self, contact_ids: Sequence[str]) -> list[str]:
        ids: set[str] = set()
        for chunk in in_chunks("_id", contact_ids):
            ids.update(str(i) for i in await self._contacts.distinct("company_id", chunk) if i)
        return sorted(ids)

    async def _set_identities(
        self, contact_id: str, identities: Sequence[ChannelIdentity], extra: Doc
    ) -> None:
        await self._contacts.update_one(
            {"_id": contact_id},
            {
                "$set": {
                    "identities": [i.model_dump() for i in identities],
                    "identity_keys": [i.key for i in identities],
                    **extra,
                }
            },
        )

    async def apply_merge(self, merge: ContactMerge) -> None:
        source = await self._contact(merge.source_id)
        target = await self._contact(merge.target_id)
        moved = {i.key for i in merge.identities}
        # The unique identity index forbids a key on two contacts at once: take it off the
        # source first, then give it to the target.
        await self._set_identities(
            source.id,
            [i for i in source.identities if i.key not in moved],
            {"merged_into": target.id, "updated_at": merge.at},
        )
        try:
            await self._set_identities(
                target.id,
                [*target.identities, *merge.identities],
                {
                    "phones": [*target.phones, *merge.phones_added],
                    "emails": [*target.emails, *merge.emails_added],
                    "updated_at": merge.at,
                },
            )
        except DuplicateKeyError as e:
            await self._set_identities(
                source.id, source.identities, {"merged_into": None, "updated_at": source.updated_at}
            )
            raise Conflict("a channel identity changed during the merge; try again") from e
        if merge.conversation_ids:
            await self._conversations.update_many(
                {"_id": {"$in": list(merge.conversation_ids)}},
                {"$set": {"contact_id": target.id}},
            )

    async def revert_merge(self, merge: ContactMerge) -> None:
        source = await self._contact(merge.source_id)
        target = await self._contact(merge.target_id)
        moved = {i.key for i in merge.identities}
        await self._set_identities(
            target.id,
            [i for i in target.identities if i.key not in moved],
            {
                "phones": [p for p in target.phones if p not in merge.phones_added],
                "emails": [e for e in target.emails if e not in merge.emails_added],
                "updated_at": merge.undone_at or merge.at,
            },
        )
        await self._set_identities(
            source.id,
            [*source.identities, *merge.identities],
            {"merged_into": None, "updated_at": merge.undone_at or merge.at},
        )
        if merge.conversation_ids:
            await self._conversations.update_many(
                {"_id": {"$in": list(merge.conversation_ids)}},
                {"$set": {"contact_id": source.id}},
            )


class MongoMergeRepository:
    def __init__(self, db: Database) -> None:
        self._proposals = db["crm_merge_proposals"]
        self._merges = db["crm_merges"]

    async def propose(self, proposal: MergeProposal) -> bool:
        try:
            result = await self._proposals.update_one(
                {"_id": proposal.id}, {"$setOnInsert": to_doc(proposal)}, upsert=True
            )
        except DuplicateKeyError:
            return False
        return result.upserted_id is not None

    async def proposals(
        self,
        status: str | None = MergeProposalStatus.OPEN.value,
        limit: int = 100,
        contact_ids: Sequence[str] | None = None,
    ) -> list[MergeProposal]:
        query: Doc = {} if status is None else {"status": status}
        branches = None if contact_ids is None else in_chunks("contact_ids", contact_ids)
        docs = await find_any(self._proposals, query, branches, ("created_at", DESCENDING), limit)
        return [from_doc(MergeProposal, d) for d in docs]

    async def decide(self, proposal_id: str, status: str, by: str, now: datetime) -> None:
        await self._proposals.update_one(
            {"_id": proposal_id},
            {"$set": {"status": status, "decided_by": by, "decided_at": now}},
        )

    async def record(self, merge: ContactMerge) -> ContactMerge:
        await self._merges.insert_one(to_doc(merge))
        return merge

    async def get(self, merge_id: str) -> ContactMerge:
        doc = await self._merges.find_one({"_id": merge_id})
        if doc is None:
            raise NotFound(f"merge {merge_id} not found", code="merge_not_found")
        return from_doc(ContactMerge, doc)

    async def mark_undone(self, merge_id: str, by: str, now: datetime) -> bool:
        result = await self._merges.update_one(
            {"_id": merge_id, "undone_at": None}, {"$set": {"undone_at": now, "undone_by": by}}
        )
        return result.modified_count == 1
