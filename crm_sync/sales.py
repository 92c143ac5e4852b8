"""Sales use-cases: lead statuses, conversion, disqualification, deal stages and amounts.

Every move is a conditional update on the current status or stage and records who, when,
from which stage and from where (``via``: api, cli, conversion...). Conversion is
idempotent: the deal is unique per lead, so a retried or concurrent conversion returns the
same deal, and the lead keeps its own history (the deal starts with a copy of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import structlog

from crm_sync.outbox import CrmOutbox
from crm_sync.pipelines import B2B_PIPELINE_ID, Pipelines, first_stage, stage_of
from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict, ValidationFailed
from inbox.domain.events import Event, about
from inbox.domain.models import (
    Company,
    CrmAudience,
    Deal,
    Lead,
    LeadStatus,
    Note,
    StageMove,
)
from inbox.domain.ports import (
    CompanyRepository,
    ConversationRepository,
    CrmContactStore,
    DealRepository,
    EventPublisher,
    LeadRepository,
    LineRepository,
    NoteRepository,
)

log = structlog.get_logger(__name__)

OPEN_LEAD = (LeadStatus.NEW, LeadStatus.IN_PROGRESS)


def money(amount: str | None) -> str | None:
    """A decimal amount as a canonical string (money is never a float)."""
    if amount is None or amount == "":
        return None
    try:
        value = Decimal(amount)
    except InvalidOperation as e:
        raise ValidationFailed(f"invalid amount {amount!r}", code="invalid_amount") from e
    if not value.is_finite() or value < 0:
        raise ValidationFailed(f"invalid amount {amount!r}", code="invalid_amount")
    return str(value.quantize(Decimal("0.01")))


class Sales:
    def __init__(
        self,
        *,
        leads: LeadRepository,
        deals: DealRepository,
        companies: CompanyRepository,
        notes: NoteRepository,
        crm_contacts: CrmContactStore,
        lines: LineRepository,
        pipelines: Pipelines,
        outbox: CrmOutbox,
        publisher: EventPublisher,
        clock: Clock,
        conversations: ConversationRepository,
    ) -> None:
        self._conversations = conversations
        self._leads = leads
        self._deals = deals
        self._companies = companies
        self._notes = notes
        self._crm_contacts = crm_contacts
        self._lines = lines
        self._pipelines = pipelines
        self._outbox = outbox
        self._publisher = publisher
        self._clock = clock

    # ------------------------------------------------------------ leads

    async def move_lead(self, lead_id: str, to: LeadStatus, *, by: str, via: str) -> Lead:
        """New <-> In progress; qualifying and disqualifying have their own use-cases."""
        if to not in OPEN_LEAD:
            raise ValidationFailed(
                "use convert or disqualify to close a lead", code="lead_close_needs_verb"
            )
        lead = await self._leads.get(lead_id)
        if lead.status is to:
            return lead
        if lead.status not in OPEN_LEAD:
            raise Conflict(f"lead is {lead.status.value}", code="lead_closed")
        move = StageMove(at=self._clock.now(), by=by, from_stage=lead.status, to_stage=to, via=via)
        moved = await self._leads.set_status(lead_id, expected=lead.status, move=move)
        if moved is None:
            raise Conflict("the lead changed meanwhile; reload it", code="lead_changed")
        await self._after_lead(moved, len(moved.history))
        return moved

    async def disqualify(self, lead_id: str, reason: str, *, by: str, via: str) -> Lead:
        reason = reason.strip()
        if not reason:
            raise ValidationFailed("a disqualified lead needs a reason", code="reason_required")
        lead = await self._leads.get(lead_id)
        if lead.status not in OPEN_LEAD:
            raise Conflict(f"lead is {lead.status.value}", code="lead_closed")
        move = StageMove(
            at=self._clock.now(),
            by=by,
            from_stage=lead.status,
            to_stage=LeadStatus.DISQUALIFIED,
            via=via,
        )
        moved = await self._leads.set_status(
            lead_id, expected=lead.status, move=move, reason=reason
        )
        if moved is None:
            raise Conflict("the lead changed meanwhile; reload it", code="lead_changed")
        log.info("crm_lead_disqualified", lead_id=lead_id)
        await self._after_lead(moved, len(moved.history))
        return moved

    async def convert(
        self,
        lead_id: str,
        *,
        by: str,
        via: str,
        pipeline_id: str | None = None,
        company_name: str | None = None,
        company_id: str | None = None,
        title: str | None = None,
        amount: str | None = None,
        currency: str | None = None,
        among: CrmAudience | None = None,
    ) -> tuple[Lead, Deal]:
        """Qualify a lead into a deal in the B2B (or given) pipeline, linking a company
        (``company_name`` is looked up among the companies ``among`` sees)."""
        lead = await self._leads.get(lead_id)
        if lead.status is LeadStatus.QUALIFIED and lead.deal_id:
            return lead, await self._deals.get(lead.deal_id)  # converted already
        if lead.status not in OPEN_LEAD:
            raise Conflict(f"lead is {lead.status.value}", code="lead_closed")
        if pipeline_id:
            pipeline = await self._pipelines.get(pipeline_id)
        elif lead.line_id:
            pipeline = await self._pipelines.for_line(await self._lines.get(lead.line_id), b2b=True)
        else:
            pipeline = await self._pipelines.get(B2B_PIPELINE_ID)
        now = self._clock.now()
        if company_id is not None:
            company_id = (await self._companies.get(company_id)).id
        elif company_name and company_name.strip():
            company_id = (await self.company_named(company_name, by, among=among)).id
        else:
            company_id = lead.company_id
        if company_id is not None and company_id != lead.company_id:
            await self.link_company(lead.contact_id, company_id)
        stage = first_stage(pipeline)
        conversion = StageMove(
            at=now,
            by=by,
            from_stage=LeadStatus.QUALIFIED,
            to_stage=stage.id,
            via="conversion",
            pipeline_id=pipeline.id,
        )
        deal, _ = await self._deals.insert(
            Deal(
                title=title or lead.title,
                pipeline_id=pipeline.id,
                stage_id=stage.id,
                contact_id=lead.contact_id,
                company_id=company_id,
                lead_id=lead.id,
                conversation_ids=lead.conversation_ids,
                line_id=lead.line_id,
                amount=money(amount),
                currency=currency.upper() if currency else None,
                responsible_id=lead.responsible_id,
                history=(*lead.history, conversion),
                created_at=now,
                updated_at=now,
            )
        )
        move = StageMove(
            at=now, by=by, from_stage=lead.status, to_stage=LeadStatus.QUALIFIED, via=via
        )
        qualified = await self._leads.set_status(
            lead.id, expected=lead.status, move=move, deal_id=deal.id, company_id=company_id
        )
        if qualified is None:
            qualified = await self._leads.get(lead.id)
            if qualified.deal_id != deal.id:
                raise Conflict("the lead changed meanwhile; reload it", code="lead_changed")
        for conversation_id in lead.conversation_ids:
            await self._crm_contacts.link_conversation(conversation_id, deal_id=deal.id)
        await self._outbox.enqueue("deal", deal.id, "create")
        log.info("crm_lead_converted", lead_id=lead.id, deal_id=deal.id)
        await self._after_lead(qualified, len(qualified.history))
        return qualified, deal

    async def _after_lead(self, lead: Lead, version: int) -> None:
        await self._outbox.enqueue("lead", lead.id, "update", str(version))
        await self._announce(
            {"what": "lead.updated", "lead": lead.model_dump(mode="json")}, lead.conversation_ids
        )

    # ------------------------------------------------------------ companies

    async def company_named(
        self, name: str, owner_id: str | None = None, *, among: CrmAudience | None = None
    ) -> Company:
        """The company with this name (case-insensitive) that ``among`` sees (any, when
        None), created when there is none (owned by ``owner_id``, who then sees it before
        any of its people). Another audience's company of that name is never handed out."""
        found = await self._companies.find_by_name(name, among)
        if found is not None:
            return found
        now = self._clock.now()
        return await self._companies.add(
            Company(name=name.strip(), owner_id=owner_id, created_at=now, updated_at=now)
        )

    async def link_company(self, contact_id: str, company_id: str | None) -> None:
        """Make a contact one of a company's people (or of none)."""
        if company_id is not None:
            await self._companies.get(company_id)
        now = self._clock.now()
        await self._crm_contacts.set_company(contact_id, company_id, now)
        await self._outbox.enqueue("contact", contact_id, "upsert", f"{now.timestamp():.3f}")

    # ------------------------------------------------------------ deals

    async def move_deal(
        self,
        deal_id: str,
        to_stage: str,
        *,
        by: str,
        via: str,
        pipeline_id: str | None = None,
    ) -> Deal:
        """Move a deal to a stage (of its pipeline, or of ``pipeline_id`` to switch)."""
        deal = await self._deals.get(deal_id)
        pipeline = await self._pipelines.get(pipeline_id or deal.pipeline_id)
        stage = stage_of(pipeline, to_stage)
        if stage.id == deal.stage_id and pipeline.id == deal.pipeline_id:
            return deal
        now = self._clock.now()
        move = StageMove(
            at=now,
            by=by,
            from_stage=deal.stage_id,
            to_stage=stage.id,
            via=via,
            pipeline_id=pipeline.id if pipeline.id != deal.pipeline_id else None,
        )
        moved = await self._deals.move(
            deal_id,
            expected=deal.stage_id,
            move=move,
            closed_at=now if stage.terminal else None,
        )
        if moved is None:
            raise Conflict("the deal changed meanwhile; reload it", code="deal_changed")
        log.info("crm_deal_moved", deal_id=deal_id, stage=stage.id)
        await self._after_deal(moved, str(len(moved.history)))
        return moved

    async def set_amount(self, deal_id: str, amount: str | None, currency: str | None) -> Deal:
        if amount is not None and not currency:
            raise ValidationFailed("an amount needs a currency", code="currency_required")
        if currency is not None and (len(currency) != 3 or not currency.isalpha()):
            raise ValidationFailed("currency is a 3-letter ISO code", code="invalid_currency")
        deal = await self._deals.set_amount(
            deal_id, money(amount), currency.upper() if currency else None, self._clock.now()
        )
        await self._after_deal(deal, f"amount-{deal.updated_at.timestamp():.3f}")
        return deal

    async def _after_deal(self, deal: Deal, version: str) -> None:
        await self._outbox.enqueue("deal", deal.id, "update", version)
        await self._announce(
            {"what": "deal.updated", "deal": deal.model_dump(mode="json")}, deal.conversation_ids
        )

    # ------------------------------------------------------------ notes

    async def add_note(self, note: Note) -> Note:
        if not (note.contact_id or note.company_id or note.lead_id or note.deal_id):
            raise ValidationFailed("a note belongs to something", code="note_target_required")
        if note.lead_id and not note.contact_id:
            note = note.model_copy(
                update={"contact_id": (await self._leads.get(note.lead_id)).contact_id}
            )
        if note.deal_id and not note.contact_id:
            note = note.model_copy(
                update={"contact_id": (await self._deals.get(note.deal_id)).contact_id}
            )
        return await self._notes.add(note)

    async def _announce(self, data: dict[str, object], conversation_ids: Sequence[str]) -> None:
        """Tell the audience of each of the record's conversations (their team, assignee);
        a record with no conversation goes to managers and admins only."""
        try:
            now = self._clock.now()
            targets = [await self._conversations.get(c) for c in conversation_ids[-5:]]
            if not targets:
                await self._publisher.publish(Event(type="crm.updated", at=now, data=data))
            for conversation in targets:
                await self._publisher.publish(about("crm.updated", conversation, now, data))
        except Exception:  # live updates are best effort; the change is stored
            log.exception("crm_event_publish_failed")
