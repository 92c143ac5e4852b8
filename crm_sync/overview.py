"""The 360-degree view: everything about a contact or a company, in time order, in one call.

Contacts merged into this one count as this one, so nothing disappears after a merge.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from inbox.domain.ports import (
    CompanyRepository,
    ContactRepository,
    CrmContactStore,
    DealRepository,
    LeadRepository,
    NoteRepository,
    TaskRepository,
)


def _item(kind: str, at: datetime, model: BaseModel) -> dict[str, Any]:
    return {"type": kind, "at": at.isoformat(), kind: model.model_dump(mode="json")}


class Crm360View:
    """``CrmView`` of the CRM side (replaces the conversations-only placeholder)."""

    def __init__(
        self,
        *,
        contacts: ContactRepository,
        companies: CompanyRepository,
        crm_contacts: CrmContactStore,
        leads: LeadRepository,
        deals: DealRepository,
        tasks: TaskRepository,
        notes: NoteRepository,
    ) -> None:
        self._contacts = contacts
        self._companies = companies
        self._crm_contacts = crm_contacts
        self._leads = leads
        self._deals = deals
        self._tasks = tasks
        self._notes = notes

    async def _timeline(
        self, contact_ids: Sequence[str], company_id: str | None = None
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()

        def add(kind: str, at: datetime, model: Any) -> None:
            if (kind, model.id) not in seen:
                seen.add((kind, model.id))
                items.append(_item(kind, at, model))

        for conversation in await self._crm_contacts.conversations_of(contact_ids):
            add("conversation", conversation.created_at, conversation)
        ids = list(contact_ids)
        for lead in await self._leads.list(contact_ids=ids, limit=500):
            add("lead", lead.created_at, lead)
        for deal in await self._deals.list(contact_ids=ids, limit=500):
            add("deal", deal.created_at, deal)
        for task in await self._tasks.list(contact_ids=ids, include_done=True, limit=500):
            add("task", task.due_at, task)
        for note in await self._notes.list(contact_ids=ids, limit=500):
            add("note", note.created_at, note)
        if company_id is not None:
            # The company's records of other people stay out: only those of the people
            # shown, and the company's own (without a contact).
            shown = set(ids)

            def add_own(kind: str, at: datetime, model: Any) -> None:
                if model.contact_id is None or model.contact_id in shown:
                    add(kind, at, model)

            for lead in await self._leads.list(company_id=company_id, limit=500):
                add_own("lead", lead.created_at, lead)
            for deal in await self._deals.list(company_id=company_id, limit=500):
                add_own("deal", deal.created_at, deal)
            for task in await self._tasks.list(company_id=company_id, include_done=True, limit=500):
                add_own("task", task.due_at, task)
            for note in await self._notes.list(company_id=company_id, limit=500):
                add_own("note", note.created_at, note)
        items.sort(key=lambda i: str(i["at"]), reverse=True)
        return items

    async def contact_overview(self, contact_id: str) -> dict[str, Any]:
        contact = await self._contacts.get(contact_id)
        ids = [contact.id, *await self._crm_contacts.absorbed_into(contact.id)]
        company = await self._companies.get(contact.company_id) if contact.company_id else None
        return {
            "contact": contact.model_dump(mode="json"),
            "merged_contact_ids": ids[1:],
            "company": company.model_dump(mode="json") if company else None,
            "timeline": await self._timeline(ids),
        }

    async def company_overview(
        self, company_id: str, people_ids: Collection[str] | None = None
    ) -> dict[str, Any]:
        """The company, its people (only ``people_ids`` when given: those the caller sees)
        and the timeline of those people and of the company itself."""
        company = await self._companies.get(company_id)
        people = await self._crm_contacts.by_company(company_id)
        if people_ids is not None:
            people = [p for p in people if p.id in people_ids]
        ids: list[str] = []
        for person in people:
            ids += [person.id, *await self._crm_contacts.absorbed_into(person.id)]
        return {
            "company": company.model_dump(mode="json"),
            "contacts": [p.model_dump(mode="json") for p in people],
            "timeline": await self._timeline(ids, company_id),
        }
