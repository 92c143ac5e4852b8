"""Who may see and change which CRM record: the inbox's audience rule, carried over.

A lead, deal, task or note is seen by its responsible operator and otherwise through the
one relation that owns it (:mod:`inbox.domain.crm_audience`, the one rule): its contact,
seen when the caller sees at least one of the contact's conversations
(:class:`inbox.web.api.scope.Scope`, the same rule the inbox applies), or, only for a
record without a contact, its company. A company is seen by its owner and through any of
its people the caller sees, and shows only those people: a company's other people and
their records stay hidden, however the caller came to see the company. Admins see
everything. Changing a record needs a conversation the caller may act on
(:meth:`Scope.can_act`), or being responsible; linking a record to another one (a contact
to a company, a task to a deal) needs the right to change both. A record outside the
caller's audience answers 404 with the store's own message, so ids cannot be probed.

Lists are narrowed in MongoDB: the contact ids the caller can see come from ``distinct``
over conversations (one per branch of the audience filter, indexed by team and assignee),
their companies from ``distinct`` over contacts, and each record query runs once per
branch (:func:`inbox.domain.crm_audience.record_branches`), sorted and limited,
merged by :func:`inbox.store.crm.find_any`. A single record is checked against its
contact's few conversations with the inbox's own predicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from aiohttp import web

from inbox.domain.crm_audience import Owned, admits, owner_of
from inbox.domain.errors import NotFound
from inbox.domain.models import (
    Company,
    Contact,
    ContactMerge,
    CrmAudience,
    Deal,
    Lead,
    OutboxItem,
    Task,
)
from inbox.web.api.scope import Scope, scope_for
from inbox.web.auth import current_operator
from inbox.web.hub import WebHub as Hub
from inbox.web.keys import HUB


class Record(Owned, Protocol):
    """A lead, deal or task: owned by a contact or a company, with a responsible operator."""

    @property
    def id(self) -> str: ...
    @property
    def responsible_id(self) -> str | None: ...


R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class _Ref:
    contact_id: str | None
    company_id: str | None


def _missing(what: str, record_id: str) -> NotFound:
    return NotFound(f"{what} {record_id} not found", code=f"{what}_not_found")


@dataclass
class CrmGuard:
    """The caller's CRM audience for one request."""

    hub: Hub
    scope: Scope
    _audience: CrmAudience | None = field(default=None, init=False)

    @property
    def me(self) -> str:
        return self.scope.operator.id

    # ------------------------------------------------------------ the rule

    async def reaches(self, contact_ids: Sequence[str], *, act: bool = False) -> bool:
        """Whether the caller sees (or may act on) a conversation of one of these contacts."""
        if self.scope.is_admin:
            return True
        # A contact's conversations are few: read them by the indexed contact id and apply
        # the inbox's own predicates here.
        found = await self.hub.crm_side.stores.crm_contacts.conversations_of(
            list(dict.fromkeys(contact_ids))
        )
        check = self.scope.can_act if act else self.scope.can_see
        return any(check(c) for c in found)

    async def sees_contact(self, contact_id: str, *, act: bool = False) -> bool:
        """A contact is seen through its conversations (and those of contacts merged in)."""
        if self.scope.is_admin:
            return True
        absorbed = await self.hub.crm_side.stores.crm_contacts.absorbed_into(contact_id)
        return await self.reaches([contact_id, *absorbed], act=act)

    async def sees_company(self, company: Company, *, act: bool = False) -> bool:
        """A company is seen by its owner and through any of its people that is seen."""
        if self.scope.is_admin or (company.owner_id is not None and company.owner_id == self.me):
            return True
        return bool(await self.people_seen(company.id, act=act))

    async def people_seen(self, company_id: str, *, act: bool = False) -> list[Contact]:
        """The company's people the caller sees: never the others, so a company shared by
        several teams (or one the caller linked a contact to) reveals only the caller's."""
        people = await self.hub.crm_side.stores.crm_contacts.by_company(company_id)
        if self.scope.is_admin or not people:
            return people
        found = await self.hub.crm_side.stores.crm_contacts.conversations_of([p.id for p in people])
        check = self.scope.can_act if act else self.scope.can_see
        seen = {c.contact_id for c in found if check(c)}
        return [p for p in people if p.id in seen]

    async def allows(
        self,
        *,
        contact_id: str | None = None,
        company_id: str | None = None,
        responsible_id: str | None = None,
        act: bool = False,
    ) -> bool:
        """The audience rule of :mod:`inbox.domain.crm_audience` for one record: its
        responsible operator, else its contact, else (only without a contact) its company."""
        if self.scope.is_admin or (responsible_id is not None and responsible_id == self.me):
            return True
        owner = owner_of(_Ref(contact_id, company_id))
        if owner is None:
            return False
        kind, owner_id = owner
        if kind == "contact":
            return await self.sees_contact(owner_id, act=act)
        try:
            company = await self.hub.crm_side.stores.companies.get(owner_id)
        except NotFound:
            return False
        return await self.sees_company(company, act=act)

    # ------------------------------------------------------------ records (404 outside)

    async def _owned(self, what: str, record: R, *, act: bool) -> R:
        """The record if the caller may see it (or change it, with ``act``); 404 otherwise."""
        if not await self.allows(
            contact_id=record.contact_id,
            company_id=record.company_id,
            responsible_id=record.responsible_id,
            act=act,
        ):
            raise _missing(what, record.id)
        return record

    async def lead(self, lead_id: str, *, act: bool = False) -> Lead:
        return await self._owned("lead", await self.hub.crm_side.stores.leads.get(lead_id), act=act)

    async def deal(self, deal_id: str, *, act: bool = False) -> Deal:
        return await self._owned("deal", await self.hub.crm_side.stores.deals.get(deal_id), act=act)

    async def task(self, task_id: str, *, act: bool = False) -> Task:
        return await self._owned("task", await self.hub.crm_side.tasks.get(task_id), act=act)

    async def contact(self, contact_id: str, *, act: bool = False) -> Contact:
        try:
            contact = await self.hub.contacts.get(contact_id)
        except NotFound:
            raise _missing("contact", contact_id) from None
        if not await self.sees_contact(contact.id, act=act):
            raise _missing("contact", contact_id)
        return contact

    async def company(self, company_id: str, *, act: bool = False) -> Company:
        company = await self.hub.crm_side.stores.companies.get(company_id)
        if not await self.sees_company(company, act=act):
            raise _missing("company", company_id)
        return company

    async def merge(self, merge_id: str, *, act: bool = False) -> ContactMerge:
        record = await self.hub.crm_side.stores.merges.get(merge_id)
        # After a merge the source's conversations live on the target (and back after undo).
        if not (
            self.scope.is_admin or await self.reaches([record.source_id, record.target_id], act=act)
        ):
            raise _missing("merge", merge_id)
        return record

    async def sees_outbox_item(self, item: OutboxItem) -> bool:
        """An outbox item belongs to the audience of the record it pushes (a comment's, of
        its conversation); one whose record is gone is the admins' alone. Judged against
        the caller's list audience with :func:`~inbox.domain.crm_audience.admits`, so a
        list of items costs one read per item, not one per relation."""
        audience = await self.audience()
        if audience is None:
            return True
        stores = self.hub.crm_side.stores
        with suppress(NotFound):
            if item.entity == "lead":
                return admits(audience, await stores.leads.get(item.entity_id))
            if item.entity == "deal":
                return admits(audience, await stores.deals.get(item.entity_id))
            if item.entity == "contact":
                return item.entity_id in audience.contact_ids
            if item.entity == "company":
                company = await stores.companies.get(item.entity_id)
                return company.id in audience.company_ids or company.owner_id == self.me
            if item.conversation_id is not None:
                return self.scope.can_see(await self.hub.conversations.get(item.conversation_id))
        return False

    async def outbox_item(self, item_id: str) -> OutboxItem:
        item = await self.hub.crm_side.stores.outbox.get(item_id)
        if not await self.sees_outbox_item(item):
            raise _missing("outbox_item", item_id)
        return item

    async def targets(
        self,
        *,
        contact_id: str | None = None,
        company_id: str | None = None,
        lead_id: str | None = None,
        deal_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Every record a new task or note points at must be one the caller may change."""
        if contact_id is not None:
            await self.contact(contact_id, act=True)
        if company_id is not None:
            await self.company(company_id, act=True)
        if lead_id is not None:
            await self.lead(lead_id, act=True)
        if deal_id is not None:
            await self.deal(deal_id, act=True)
        if conversation_id is not None:
            conversation = None
            with suppress(NotFound):
                conversation = await self.hub.conversations.get(conversation_id)
            if conversation is None or not self.scope.can_act(conversation):
                raise _missing("conversation", conversation_id)

    # ------------------------------------------------------------ lists

    async def audience(self) -> CrmAudience | None:
        """What lists are narrowed to; None for admins (everything)."""
        if self.scope.is_admin:
            return None
        if self._audience is None:
            crm_contacts = self.hub.crm_side.stores.crm_contacts
            contact_ids = await crm_contacts.audience_contact_ids(self.scope.mongo_filter())
            self._audience = CrmAudience(
                operator_id=self.me,
                contact_ids=tuple(contact_ids),
                company_ids=tuple(await crm_contacts.company_ids_of(contact_ids)),
            )
        return self._audience

    def sees_item(self, item: dict[str, Any]) -> bool:
        """A 360-view timeline item: conversations of other audiences are left out."""
        if item.get("type") != "conversation":
            return True
        c = item.get("conversation") or {}
        return self.scope.sees(c.get("team_id"), c.get("assignee_id"))


async def crm_guard(request: web.Request) -> CrmGuard:
    hub = request.app[HUB]
    return CrmGuard(hub=hub, scope=await scope_for(hub, current_operator(request)))
