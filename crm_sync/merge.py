"""Explicit contact merge and its undo.

A person confirms; the source contact's identities, phones, emails, conversations, leads,
deals, tasks and notes move to the target, and the source is kept with ``merged_into`` so
the merge record can move everything back. Future messages from the source's channel
identities land on the target because the identities moved.
"""

from __future__ import annotations

import structlog

from crm_sync.proposals import pair_id
from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict, ValidationFailed
from inbox.domain.models import ContactMerge, ConversationStatus, MergeProposalStatus
from inbox.domain.ports import (
    ContactRepository,
    CrmContactStore,
    DealRepository,
    LeadRepository,
    MergeRepository,
    NoteRepository,
    TaskRepository,
)

log = structlog.get_logger(__name__)


class ContactMerger:
    def __init__(
        self,
        *,
        contacts: ContactRepository,
        crm_contacts: CrmContactStore,
        merges: MergeRepository,
        leads: LeadRepository,
        deals: DealRepository,
        tasks: TaskRepository,
        notes: NoteRepository,
        clock: Clock,
    ) -> None:
        self._contacts = contacts
        self._crm_contacts = crm_contacts
        self._merges = merges
        self._leads = leads
        self._deals = deals
        self._tasks = tasks
        self._notes = notes
        self._clock = clock

    async def merge(self, source_id: str, target_id: str, *, by: str) -> ContactMerge:
        """Merge ``source_id`` into ``target_id``; raises Conflict when it cannot be clean."""
        if source_id == target_id:
            raise ValidationFailed("a contact cannot be merged into itself", code="same_contact")
        source = await self._contacts.get(source_id)
        target = await self._contacts.get(target_id)
        if source.merged_into or target.merged_into:
            raise Conflict("one of the contacts was merged already", code="already_merged")
        conversations = await self._crm_contacts.conversations_of([source.id])
        target_conversations = await self._crm_contacts.conversations_of([target.id])
        active_lines = {
            c.line_id for c in target_conversations if c.status is not ConversationStatus.RESOLVED
        }
        if any(
            c.line_id in active_lines
            for c in conversations
            if c.status is not ConversationStatus.RESOLVED
        ):
            raise Conflict(
                "both contacts have an open conversation on the same line; resolve one first",
                code="merge_open_conversations",
            )
        ids = [source.id]
        leads = await self._leads.list(contact_ids=ids, limit=1000)
        deals = await self._deals.list(contact_ids=ids, limit=1000)
        tasks = await self._tasks.list(contact_ids=ids, include_done=True, limit=1000)
        notes = await self._notes.list(contact_ids=ids, limit=1000)
        record = ContactMerge(
            source_id=source.id,
            target_id=target.id,
            by=by,
            at=self._clock.now(),
            identities=source.identities,
            phones_added=tuple(p for p in source.phones if p not in target.phones),
            emails_added=tuple(e for e in source.emails if e not in target.emails),
            conversation_ids=tuple(c.id for c in conversations),
            lead_ids=tuple(x.id for x in leads),
            deal_ids=tuple(x.id for x in deals),
            task_ids=tuple(x.id for x in tasks),
            note_ids=tuple(x.id for x in notes),
        )
        # The record first: if anything below fails, undo has what it needs.
        await self._merges.record(record)
        await self._crm_contacts.apply_merge(record)
        await self._move(record, target.id)
        await self._merges.decide(
            pair_id(source.id, target.id), MergeProposalStatus.MERGED.value, by, record.at
        )
        log.info("crm_contacts_merged", merge_id=record.id, source=source.id, target=target.id)
        return record

    async def _move(self, record: ContactMerge, to: str) -> None:
        await self._leads.reassign_contact(record.lead_ids, to)
        await self._deals.reassign_contact(record.deal_ids, to)
        await self._tasks.reassign_contact(record.task_ids, to)
        await self._notes.reassign_contact(record.note_ids, to)

    async def undo(self, merge_id: str, *, by: str) -> ContactMerge:
        """Put everything a merge moved back on the source contact (once)."""
        if not await self._merges.mark_undone(merge_id, by, self._clock.now()):
            await self._merges.get(merge_id)  # NotFound when unknown
            raise Conflict("this merge was undone already", code="merge_undone")
        record = await self._merges.get(merge_id)
        await self._crm_contacts.revert_merge(record)
        await self._move(record, record.source_id)
        await self._merges.decide(
            pair_id(record.source_id, record.target_id),
            MergeProposalStatus.OPEN.value,
            by,
            self._clock.now(),
        )
        log.info("crm_merge_undone", merge_id=merge_id)
        return record

    async def dismiss(self, proposal_id: str, *, by: str) -> None:
        await self._merges.decide(
            proposal_id, MergeProposalStatus.DISMISSED.value, by, self._clock.now()
        )
