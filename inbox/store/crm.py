"""CRM records in MongoDB: pipelines, companies, leads and deals.

Exactly one lead (or deal) per conversation is a unique index on the multikey
``conversation_ids`` field, so concurrent duplicate webhooks in several processes end with
one record: the loser gets ``DuplicateKeyError`` and reads the winner's. Stage moves are
conditional ``update_one`` calls on the current stage (no ``find_one_and_update``: see
``../shared/mongodb.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from inbox.domain.crm_audience import in_chunks, record_branches
from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import (
    Company,
    CrmAudience,
    Deal,
    Lead,
    LeadStatus,
    Pipeline,
    StageMove,
)
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database, Doc

OPEN_LEAD = [LeadStatus.NEW.value, LeadStatus.IN_PROGRESS.value]


def contacts_filter(contact_ids: Sequence[str] | None) -> Doc:
    return {} if contact_ids is None else {"contact_id": {"$in": list(contact_ids)}}


def audience_branches(audience: CrmAudience) -> list[Doc]:
    """The records the audience sees (:mod:`inbox.domain.crm_audience`, the one rule)."""
    return record_branches(audience)


async def find_any(
    collection: Any, query: Doc, branches: list[Doc] | None, sort: tuple[str, int], limit: int
) -> list[Doc]:
    """Documents matching ``query`` and any of ``branches`` (all when None), sorted, at most
    ``limit``: one indexed query per branch, each sorted and limited, merged here.

    Not one ``$or``: SecantusDB plans ``$or`` as a collection scan, and its ``$in`` slows
    down faster than linearly past about a hundred values (measured: 100 ids 27 ms,
    620 ids 960 ms), hence :func:`in_chunks`. Real MongoDB answers the same way."""
    key, direction = sort
    if branches is None:
        return [d async for d in collection.find(query).sort(key, direction).limit(limit)]
    found: dict[Any, Doc] = {}
    for branch in branches:
        both = {"$and": [query, branch]} if set(query) & set(branch) else {**query, **branch}
        async for doc in collection.find(both).sort(key, direction).limit(limit):
            found[doc["_id"]] = doc
    ordered = sorted(found.values(), key=lambda d: d[key], reverse=direction == DESCENDING)
    return ordered[:limit]


class MongoPipelineRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_pipelines"]

    async def seed(self, pipeline: Pipeline) -> bool:
        try:
            result = await self._c.update_one(
                {"_id": pipeline.id}, {"$setOnInsert": to_doc(pipeline)}, upsert=True
            )
        except DuplicateKeyError:
            return False  # a concurrent start seeded it
        return result.upserted_id is not None

    async def add(self, pipeline: Pipeline) -> Pipeline:
        try:
            await self._c.insert_one(to_doc(pipeline))
        except DuplicateKeyError as e:
            raise Conflict(f"pipeline {pipeline.id} exists", code="pipeline_exists") from e
        return pipeline

    async def get(self, pipeline_id: str) -> Pipeline:
        doc = await self._c.find_one({"_id": pipeline_id})
        if doc is None:
            raise NotFound(f"pipeline {pipeline_id} not found", code="pipeline_not_found")
        return from_doc(Pipeline, doc)

    async def list(self) -> list[Pipeline]:
        return [from_doc(Pipeline, d) async for d in self._c.find({}).sort("created_at", 1)]

    async def replace(self, pipeline: Pipeline) -> Pipeline:
        result = await self._c.replace_one({"_id": pipeline.id}, to_doc(pipeline))
        if result.matched_count == 0:
            raise NotFound(f"pipeline {pipeline.id} not found", code="pipeline_not_found")
        return pipeline

    async def delete(self, pipeline_id: str) -> None:
        result = await self._c.delete_one({"_id": pipeline_id})
        if result.deleted_count == 0:
            raise NotFound(f"pipeline {pipeline_id} not found", code="pipeline_not_found")


class MongoCompanyRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_companies"]

    async def add(self, company: Company) -> Company:
        doc = to_doc(company)
        doc["name_lower"] = company.name.strip().lower()
        await self._c.insert_one(doc)
        return company

    async def get(self, company_id: str) -> Company:
        doc = await self._c.find_one({"_id": company_id})
        if doc is None:
            raise NotFound(f"company {company_id} not found", code="company_not_found")
        return from_doc(Company, doc)

    async def find_by_name(self, name: str, among: CrmAudience | None = None) -> Company | None:
        """The oldest company of this name (case-insensitive) that ``among`` sees (any
        when None): two teams may each have a company of the same name."""
        query: Doc = {"name_lower": name.strip().lower()}
        branches = None
        if among is not None:
            branches = [*in_chunks("_id", among.company_ids), {"owner_id": among.operator_id}]
        docs = await find_any(self._c, query, branches, ("created_at", ASCENDING), 1)
        return from_doc(Company, docs[0]) if docs else None

    async def list(
        self, limit: int = 100, ids: Sequence[str] | None = None, owner_id: str | None = None
    ) -> list[Company]:
        branches = None
        if ids is not None:
            branches = in_chunks("_id", ids) + ([{"owner_id": owner_id}] if owner_id else [])
        docs = await find_any(self._c, {}, branches, ("name_lower", ASCENDING), limit)
        return [from_doc(Company, d) for d in docs]


class _Linked:
    """Shared parts of leads and deals: both hold a list of conversations."""

    _c: Any
    _what: str

    async def _insert(self, doc: Doc, lookup: list[Doc]) -> tuple[Doc, bool]:
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError:
            for query in lookup:
                found = await self._c.find_one(query)
                if found is not None:
                    return found, False
            raise
        return doc, True

    async def _get(self, record_id: str) -> Doc:
        doc = await self._c.find_one({"_id": record_id})
        if doc is None:
            raise NotFound(f"{self._what} {record_id} not found", code=f"{self._what}_not_found")
        return dict(doc)

    async def add_conversation(self, record_id: str, conversation_id: str) -> None:
        try:
            await self._c.update_one(
                {"_id": record_id}, {"$addToSet": {"conversation_ids": conversation_id}}
            )
        except DuplicateKeyError as e:  # the conversation already belongs to another record
            raise Conflict(
                f"conversation {conversation_id} is linked to another {self._what}",
                code="conversation_linked",
            ) from e

    async def reassign_contact(self, ids: Sequence[str], contact_id: str) -> None:
        if ids:
            await self._c.update_many(
                {"_id": {"$in": list(ids)}}, {"$set": {"contact_id": contact_id}}
            )


class MongoLeadRepository(_Linked):
    def __init__(self, db: Database) -> None:
        self._c = db["crm_leads"]
        self._what = "lead"

    async def insert(self, lead: Lead) -> tuple[Lead, bool]:
        lookup = [{"conversation_ids": c} for c in lead.conversation_ids]
        doc, created = await self._insert(to_doc(lead), lookup)
        return from_doc(Lead, doc), created

    async def get(self, lead_id: str) -> Lead:
        return from_doc(Lead, await self._get(lead_id))

    async def open_for_contacts(self, contact_ids: Sequence[str]) -> Lead | None:
        doc = await self._c.find_one(
            {**contacts_filter(contact_ids), "status": {"$in": OPEN_LEAD}},
            sort=[("created_at", DESCENDING)],
        )
        return from_doc(Lead, doc) if doc else None

    async def for_conversation(self, conversation_id: str) -> Lead | None:
        doc = await self._c.find_one({"conversation_ids": conversation_id})
        return from_doc(Lead, doc) if doc else None

    async def set_status(
        self,
        lead_id: str,
        *,
        expected: str,
        move: StageMove,
        reason: str | None = None,
        deal_id: str | None = None,
        company_id: str | None = None,
    ) -> Lead | None:
        setter: Doc = {"status": move.to_stage, "updated_at": move.at}
        if reason is not None:
            setter["disqualify_reason"] = reason
        if deal_id is not None:
            setter["deal_id"] = deal_id
        if company_id is not None:
            setter["company_id"] = company_id
        result = await self._c.update_one(
            {"_id": lead_id, "status": expected},
            {"$set": setter, "$push": {"history": move.model_dump()}},
        )
        if result.modified_count == 0:
            await self._get(lead_id)  # NotFound when it does not exist at all
            return None
        return await self.get(lead_id)

    async def list(
        self,
        *,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        status: str | None = None,
        responsible_id: str | None = None,
        limit: int = 100,
        audience: CrmAudience | None = None,
    ) -> list[Lead]:
        query: Doc = contacts_filter(contact_ids)
        if company_id is not None:
            query["company_id"] = company_id
        if status is not None:
            query["status"] = status
        if responsible_id is not None:
            query["responsible_id"] = responsible_id
        branches = None if audience is None else audience_branches(audience)
        docs = await find_any(self._c, query, branches, ("created_at", DESCENDING), limit)
        return [from_doc(Lead, d) for d in docs]


class MongoDealRepository(_Linked):
    def __init__(self, db: Database) -> None:
        self._c = db["crm_deals"]
        self._what = "deal"

    async def insert(self, deal: Deal) -> tuple[Deal, bool]:
        lookup = [{"lead_id": deal.lead_id}] if deal.lead_id else []
        lookup += [{"conversation_ids": c} for c in deal.conversation_ids]
        doc, created = await self._insert(to_doc(deal), lookup)
        return from_doc(Deal, doc), created

    async def get(self, deal_id: str) -> Deal:
        return from_doc(Deal, await self._get(deal_id))

    async def open_for_contacts(self, contact_ids: Sequence[str]) -> Deal | None:
        doc = await self._c.find_one(
            {**contacts_filter(contact_ids), "closed_at": None},
            sort=[("created_at", DESCENDING)],
        )
        return from_doc(Deal, doc) if doc else None

    async def for_conversation(self, conversation_id: str) -> Deal | None:
        doc = await self._c.find_one({"conversation_ids": conversation_id})
        return from_doc(Deal, doc) if doc else None

    async def move(
        self, deal_id: str, *, expected: str, move: StageMove, closed_at: datetime | None
    ) -> Deal | None:
        setter: Doc = {"stage_id": move.to_stage, "updated_at": move.at, "closed_at": closed_at}
        if move.pipeline_id is not None:
            setter["pipeline_id"] = move.pipeline_id
        result = await self._c.update_one(
            {"_id": deal_id, "stage_id": expected},
            {"$set": setter, "$push": {"history": move.model_dump()}},
        )
        if result.modified_count == 0:
            await self._get(deal_id)
            return None
        return await self.get(deal_id)

    async def set_amount(
        self, deal_id: str, amount: str | None, currency: str | None, now: datetime
    ) -> Deal:
        result = await self._c.update_one(
            {"_id": deal_id},
            {"$set": {"amount": amount, "currency": currency, "updated_at": now}},
        )
        if result.matched_count == 0:
            raise NotFound(f"deal {deal_id} not found", code="deal_not_found")
        return await self.get(deal_id)

    async def list(
        self,
        *,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        pipeline_id: str | None = None,
        stage_id: str | None = None,
        responsible_id: str | None = None,
        limit: int = 100,
        audience: CrmAudience | None = None,
    ) -> list[Deal]:
        query: Doc = contacts_filter(contact_ids)
        for key, value in (
            ("company_id", company_id),
            ("pipeline_id", pipeline_id),
            ("stage_id", stage_id),
            ("responsible_id", responsible_id),
        ):
            if value is not None:
                query[key] = value
        branches = None if audience is None else audience_branches(audience)
        docs = await find_any(self._c, query, branches, ("created_at", DESCENDING), limit)
        return [from_doc(Deal, d) for d in docs]

    async def count_in_pipeline(self, pipeline_id: str) -> int:
        return int(await self._c.count_documents({"pipeline_id": pipeline_id}))
