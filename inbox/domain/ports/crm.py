"""The CRM side: its view, its records, merges, the outbox and the external CRM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from inbox.domain.models import (
    Company,
    Contact,
    ContactMerge,
    Conversation,
    CrmAudience,
    Deal,
    Lead,
    MergeProposal,
    Note,
    OutboxItem,
    Pipeline,
    RemoteRef,
    StageMove,
    Task,
)


class CrmView(Protocol):
    """The CRM side as the inbox sees it: the 360-degree view of a contact."""

    async def contact_overview(self, contact_id: str) -> dict[str, Any]:
        """Conversations, leads, deals, tasks and notes of a contact, newest first."""
        ...


class PipelineRepository(Protocol):
    async def seed(self, pipeline: Pipeline) -> bool:
        """Insert unless a pipeline with this id exists (idempotent); True when inserted."""
        ...

    async def add(self, pipeline: Pipeline) -> Pipeline: ...  # raises Conflict on a taken id
    async def get(self, pipeline_id: str) -> Pipeline: ...  # raises NotFound
    async def list(self) -> list[Pipeline]: ...
    async def replace(self, pipeline: Pipeline) -> Pipeline: ...
    async def delete(self, pipeline_id: str) -> None: ...


class CompanyRepository(Protocol):
    async def add(self, company: Company) -> Company: ...
    async def get(self, company_id: str) -> Company: ...
    async def find_by_name(self, name: str, among: CrmAudience | None = None) -> Company | None: ...
    async def list(
        self, limit: int = 100, ids: Sequence[str] | None = None, owner_id: str | None = None
    ) -> list[Company]:
        """All companies; with ``ids``, those ones or the ones ``owner_id`` owns."""
        ...


class LeadRepository(Protocol):
    async def insert(self, lead: Lead) -> tuple[Lead, bool]:
        """Store a lead; when one already holds its conversation, return that one and False."""
        ...

    async def get(self, lead_id: str) -> Lead: ...
    async def open_for_contacts(self, contact_ids: Sequence[str]) -> Lead | None: ...
    async def for_conversation(self, conversation_id: str) -> Lead | None: ...
    async def add_conversation(self, lead_id: str, conversation_id: str) -> None: ...
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
        """Move the lead from status ``expected`` (atomic); None when it was not there."""
        ...

    async def list(
        self,
        *,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        status: str | None = None,
        responsible_id: str | None = None,
        limit: int = 100,
        audience: CrmAudience | None = None,  # None: everything (admins, use-cases)
    ) -> list[Lead]: ...
    async def reassign_contact(self, lead_ids: Sequence[str], contact_id: str) -> None: ...


class DealRepository(Protocol):
    async def insert(self, deal: Deal) -> tuple[Deal, bool]:
        """Store a deal; when one already holds its conversation (or lead), return it and False."""
        ...

    async def get(self, deal_id: str) -> Deal: ...
    async def open_for_contacts(self, contact_ids: Sequence[str]) -> Deal | None: ...
    async def for_conversation(self, conversation_id: str) -> Deal | None: ...
    async def add_conversation(self, deal_id: str, conversation_id: str) -> None: ...
    async def move(
        self, deal_id: str, *, expected: str, move: StageMove, closed_at: datetime | None
    ) -> Deal | None:
        """Move the deal from stage ``expected`` (atomic); None when it was not there."""
        ...

    async def set_amount(
        self, deal_id: str, amount: str | None, currency: str | None, now: datetime
    ) -> Deal: ...
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
    ) -> list[Deal]: ...
    async def count_in_pipeline(self, pipeline_id: str) -> int: ...
    async def reassign_contact(self, deal_ids: Sequence[str], contact_id: str) -> None: ...


class TaskRepository(Protocol):
    async def add(self, task: Task) -> Task: ...
    async def get(self, task_id: str) -> Task: ...
    async def complete(self, task_id: str, now: datetime) -> Task: ...
    async def due(self, now: datetime, limit: int = 100) -> list[Task]: ...
    async def mark_fired(self, task_id: str, now: datetime) -> bool:
        """Set ``fired_at`` once; False when another worker fired it already."""
        ...

    async def unmark_fired(self, task_id: str) -> None: ...
    async def reassign_contact(self, task_ids: Sequence[str], contact_id: str) -> None: ...
    async def list(
        self,
        *,
        responsible_id: str | None = None,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        include_done: bool = False,
        limit: int = 100,
        audience: CrmAudience | None = None,
    ) -> list[Task]: ...


class NoteRepository(Protocol):
    async def add(self, note: Note) -> Note: ...
    async def list(
        self,
        *,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        limit: int = 200,
    ) -> list[Note]: ...
    async def reassign_contact(self, note_ids: Sequence[str], contact_id: str) -> None: ...


class CrmContactStore(Protocol):
    """What the CRM side writes on contacts and conversations beyond the inbox's own ports."""

    async def set_company(self, contact_id: str, company_id: str | None, now: datetime) -> None: ...
    async def by_company(self, company_id: str, limit: int = 200) -> list[Contact]: ...
    async def matching(self, contact: Contact, keys: Sequence[str]) -> list[Contact]:
        """Store ``keys`` (normalised ``phone:``/``email:`` keys) on the contact, then return
        the other contacts (not merged away) sharing any of them."""
        ...

    async def absorbed_into(self, contact_id: str) -> list[str]:
        """Ids of contacts merged into this one, directly or through a chain."""
        ...

    async def link_conversation(
        self, conversation_id: str, *, lead_id: str | None = None, deal_id: str | None = None
    ) -> None: ...
    async def conversations_of(
        self, contact_ids: Sequence[str], limit: int = 500
    ) -> list[Conversation]: ...
    async def apply_merge(self, merge: ContactMerge) -> None:
        """Move identities, phones, emails and conversations; mark the source merged."""
        ...

    async def revert_merge(self, merge: ContactMerge) -> None: ...
    async def audience_contact_ids(self, audience: dict[str, Any]) -> list[str]:
        """Distinct contact ids of the conversations matching ``audience`` (a scope filter)."""
        ...

    async def company_ids_of(self, contact_ids: Sequence[str]) -> list[str]:
        """Distinct companies of these contacts."""
        ...


class MergeRepository(Protocol):
    async def propose(self, proposal: MergeProposal) -> bool:
        """Store a proposal once per pair (idempotent); True when new."""
        ...

    async def proposals(
        self,
        status: str | None = "open",
        limit: int = 100,
        contact_ids: Sequence[str] | None = None,  # None: all; else proposals touching these
    ) -> list[MergeProposal]: ...
    async def decide(self, proposal_id: str, status: str, by: str, now: datetime) -> None: ...
    async def record(self, merge: ContactMerge) -> ContactMerge: ...
    async def get(self, merge_id: str) -> ContactMerge: ...
    async def mark_undone(self, merge_id: str, by: str, now: datetime) -> bool:
        """Set ``undone_at`` once; False when it was undone already."""
        ...


class OutboxRepository(Protocol):
    """The transactional outbox of external CRM pushes, drained by the worker."""

    async def enqueue(self, item: OutboxItem) -> bool:
        """Insert unless the idempotency key (``item.id``) exists; True when inserted."""
        ...

    async def get(self, item_id: str) -> OutboxItem: ...
    async def claim_due(self, now: datetime, lease_s: float, limit: int) -> list[OutboxItem]:
        """Due pending items, each leased to this caller (others skip it until the lease ends)."""
        ...

    async def mark_done(self, item_id: str, remote_id: str | None, now: datetime) -> None: ...
    async def mark_retry(
        self, item_id: str, reason: str, code: str | None, next_at: datetime, now: datetime
    ) -> None: ...
    async def mark_failed(
        self, item_id: str, reason: str, code: str | None, now: datetime
    ) -> None: ...

    async def requeue(self, item_id: str, now: datetime) -> OutboxItem: ...
    async def list(
        self, *, status: str | None = None, limit: int = 100, skip: int = 0
    ) -> list[OutboxItem]:
        """Newest change first; ``skip`` pages on (a caller filtering by audience)."""
        ...


class RemoteRefRepository(Protocol):
    async def get(self, system: str, entity: str, local_id: str) -> RemoteRef | None: ...
    async def put(self, ref: RemoteRef) -> None: ...


@dataclass(frozen=True, slots=True)
class PushCommand:
    """One outbox item with everything an external CRM adapter needs to push it."""

    item: OutboxItem
    contact: Contact | None = None
    company: Company | None = None
    lead: Lead | None = None
    deal: Deal | None = None
    text: str | None = None  # the timeline comment (conversation summary)
    refs: dict[str, str] | None = None  # "entity:local_id" -> remote id already known


@dataclass(frozen=True, slots=True)
class PushResult:
    """The adapter's outcome for one command: remote ids created, or an error."""

    item_id: str
    remote_ids: dict[str, str]  # "entity:local_id" -> remote id (the item's own and parents)
    error: str | None = None
    error_code: str | None = None
    retryable: bool = False
    retry_after: float | None = None


class ExternalCrm(Protocol):
    """One external CRM (Bitrix24, HubSpot, a signed webhook...): one folder each.

    ``push`` must be idempotent per ``item.id``: after a retry or a restart it finds what a
    previous attempt created instead of creating it again.
    """

    system: str

    async def push(self, commands: Sequence[PushCommand]) -> list[PushResult]: ...


class CredentialStore(Protocol):
    """Small secrets the hub rotates itself (an OAuth refresh token), by key."""

    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str, now: datetime) -> None: ...
