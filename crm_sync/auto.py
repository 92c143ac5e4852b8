"""The ingest hook: a lead or deal on the first customer message of a new conversation.

It runs in the ingest follow-up, after the webhook answered and after the router, so it
never delays storing or assigning a message. It does a couple of idempotent writes: the
lead or deal (a unique index on its conversations makes it one per conversation, whatever
the number of duplicate deliveries and processes), the link on the conversation, and the
outbox item for the external CRM. A returning customer with an open lead or deal gets the
conversation linked to that instead.
"""

from __future__ import annotations

import structlog

from crm_sync.outbox import CrmOutbox
from crm_sync.pipelines import Pipelines, first_stage
from crm_sync.proposals import MatchProposer
from inbox.domain.clock import Clock
from inbox.domain.events import Event, MessageStored
from inbox.domain.models import (
    Conversation,
    CrmCreate,
    Deal,
    Lead,
    LeadStatus,
    Line,
    StageMove,
)
from inbox.domain.ports import (
    ConversationRepository,
    CrmContactStore,
    DealRepository,
    EventPublisher,
    LeadRepository,
)

log = structlog.get_logger(__name__)


def responsible_for(line: Line, conversation: Conversation) -> str | None:
    """The line's responsible operator: the conversation's assignee by default."""
    if line.crm.responsible == "assignee":
        return conversation.assignee_id
    return line.crm.responsible


class AutoCrmHook:
    """``IngestHook`` of the CRM side."""

    def __init__(
        self,
        *,
        conversations: ConversationRepository,
        leads: LeadRepository,
        deals: DealRepository,
        crm_contacts: CrmContactStore,
        pipelines: Pipelines,
        outbox: CrmOutbox,
        proposer: MatchProposer,
        publisher: EventPublisher,
        clock: Clock,
    ) -> None:
        self._conversations = conversations
        self._leads = leads
        self._deals = deals
        self._crm_contacts = crm_contacts
        self._pipelines = pipelines
        self._outbox = outbox
        self._proposer = proposer
        self._publisher = publisher
        self._clock = clock

    async def on_message_stored(self, stored: MessageStored) -> None:
        if not self.starts_conversation(stored):
            return
        await self._proposer.propose_for(stored.contact)
        line = stored.line
        if line.crm.create is CrmCreate.NOTHING:
            return
        # Re-read: the router ran first and may have assigned it; a replay may find a link.
        conversation = await self._conversations.get(stored.conversation.id)
        if conversation.lead_id or conversation.deal_id:
            return
        contact_ids = [stored.contact.id]
        open_deal = await self._deals.open_for_contacts(contact_ids)
        open_lead = (
            await self._leads.open_for_contacts(contact_ids)
            if line.crm.create is CrmCreate.LEAD
            else None
        )
        if open_lead is not None:
            await self._leads.add_conversation(open_lead.id, conversation.id)
            await self._crm_contacts.link_conversation(conversation.id, lead_id=open_lead.id)
            await self._push_link("lead", open_lead.id, open_lead.conversation_ids, conversation)
            await self._announce("lead.linked", conversation, lead=open_lead)
        elif open_deal is not None:
            await self._deals.add_conversation(open_deal.id, conversation.id)
            await self._crm_contacts.link_conversation(conversation.id, deal_id=open_deal.id)
            await self._push_link("deal", open_deal.id, open_deal.conversation_ids, conversation)
            await self._announce("deal.linked", conversation, deal=open_deal)
        elif line.crm.create is CrmCreate.LEAD:
            await self._create_lead(line, conversation, stored)
        else:
            await self._create_deal(line, conversation, stored)

    @staticmethod
    def starts_conversation(stored: MessageStored) -> bool:
        """The first customer message of a new conversation, on first delivery or a replay.

        A replay (the heal sweep) cannot always tell from its flags, so a message stored
        no later than its never-reopened conversation counts as the first one too.
        """
        if stored.new_conversation or stored.first_message:
            return True
        conversation = stored.conversation
        return (
            conversation.reopen_count == 0 and stored.message.created_at <= conversation.created_at
        )

    async def _push_link(
        self, entity: str, record_id: str, before: tuple[str, ...], conversation: Conversation
    ) -> None:
        # "create" again is a no-op by its key, unless a crash lost it after the insert (a
        # replay then lands here, finding the record it made as the "open" one).
        await self._outbox.enqueue(entity, record_id, "create")
        if before[:1] != (conversation.id,):
            await self._outbox.enqueue(
                entity, record_id, "comment", conversation.id, conversation_id=conversation.id
            )

    async def _create_lead(
        self, line: Line, conversation: Conversation, stored: MessageStored
    ) -> None:
        now = self._clock.now()
        lead, created = await self._leads.insert(
            Lead(
                title=f"{stored.contact.name} ({line.name})",
                contact_id=stored.contact.id,
                company_id=stored.contact.company_id,
                conversation_ids=(conversation.id,),
                line_id=line.id,
                responsible_id=responsible_for(line, conversation),
                history=(
                    StageMove(
                        at=now, by=None, from_stage=None, to_stage=LeadStatus.NEW, via="auto"
                    ),
                ),
                created_at=now,
                updated_at=now,
            )
        )
        await self._crm_contacts.link_conversation(conversation.id, lead_id=lead.id)
        await self._outbox.enqueue("lead", lead.id, "create")
        if created:
            log.info("crm_lead_created", lead_id=lead.id, conversation_id=conversation.id)
            await self._announce("lead.created", conversation, lead=lead)

    async def _create_deal(
        self, line: Line, conversation: Conversation, stored: MessageStored
    ) -> None:
        now = self._clock.now()
        pipeline = await self._pipelines.for_line(line)
        stage = first_stage(pipeline)
        deal, created = await self._deals.insert(
            Deal(
                title=f"{stored.contact.name} ({line.name})",
                pipeline_id=pipeline.id,
                stage_id=stage.id,
                contact_id=stored.contact.id,
                company_id=stored.contact.company_id,
                conversation_ids=(conversation.id,),
                line_id=line.id,
                responsible_id=responsible_for(line, conversation),
                history=(
                    StageMove(
                        at=now,
                        by=None,
                        from_stage=None,
                        to_stage=stage.id,
                        via="auto",
                        pipeline_id=pipeline.id,
                    ),
                ),
                created_at=now,
                updated_at=now,
            )
        )
        await self._crm_contacts.link_conversation(conversation.id, deal_id=deal.id)
        await self._outbox.enqueue("deal", deal.id, "create")
        if created:
            log.info("crm_deal_created", deal_id=deal.id, conversation_id=conversation.id)
            await self._announce("deal.created", conversation, deal=deal)

    async def _announce(
        self,
        what: str,
        conversation: Conversation,
        *,
        lead: Lead | None = None,
        deal: Deal | None = None,
    ) -> None:
        data: dict[str, object] = {"what": what}
        if lead is not None:
            data["lead"] = lead.model_dump(mode="json")
        if deal is not None:
            data["deal"] = deal.model_dump(mode="json")
        try:
            await self._publisher.publish(
                Event(
                    type="crm.updated",
                    at=self._clock.now(),
                    conversation_id=conversation.id,
                    line_id=conversation.line_id,
                    team_id=conversation.team_id,
                    assignee_id=conversation.assignee_id,
                    data=data,
                )
            )
        except Exception:  # live updates are best effort; the record is stored
            log.exception("crm_event_publish_failed", what=what)
