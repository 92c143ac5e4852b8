"""The CRM side assembled from ports: what wiring builds once per process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_sync.auto import AutoCrmHook
from crm_sync.merge import ContactMerger
from crm_sync.outbox import CrmOutbox, OutboxDrainer
from crm_sync.overview import Crm360View
from crm_sync.pipelines import Pipelines
from crm_sync.proposals import MatchProposer
from crm_sync.sales import Sales
from crm_sync.tasks import Tasks
from inbox.domain.clock import Clock
from inbox.domain.ports import (
    CompanyRepository,
    ContactRepository,
    ConversationRepository,
    CrmContactStore,
    DealRepository,
    EventPublisher,
    ExternalCrm,
    LeadRepository,
    LineRepository,
    MergeRepository,
    NoteRepository,
    OutboxRepository,
    PipelineRepository,
    RemoteRefRepository,
    TaskRepository,
)


@dataclass(frozen=True)
class CrmStores:
    """The CRM side's repositories (MongoDB in production, built by wiring)."""

    pipelines: PipelineRepository
    companies: CompanyRepository
    leads: LeadRepository
    deals: DealRepository
    tasks: TaskRepository
    notes: NoteRepository
    crm_contacts: CrmContactStore
    merges: MergeRepository
    outbox: OutboxRepository
    refs: RemoteRefRepository


@dataclass(frozen=True)
class OutboxOptions:
    batch_size: int = 20
    lease_s: float = 60.0
    max_attempts: int = 8
    backoff_base_s: float = 5.0
    backoff_max_s: float = 900.0


@dataclass(frozen=True)
class CrmSide:
    """Every CRM use-case, plus the ingest hook and the worker's two jobs."""

    stores: CrmStores
    pipelines: Pipelines
    sales: Sales
    tasks: Tasks
    merger: ContactMerger
    proposer: MatchProposer
    view: Crm360View
    hook: AutoCrmHook
    outbox: CrmOutbox
    drainer: OutboxDrainer


def build_crm_side(
    *,
    stores: CrmStores,
    lines: LineRepository,
    contacts: ContactRepository,
    conversations: ConversationRepository,
    publisher: EventPublisher,
    adapters: Sequence[ExternalCrm],
    clock: Clock,
    options: OutboxOptions | None = None,
) -> CrmSide:
    opts = options or OutboxOptions()
    s = stores
    pipelines = Pipelines(pipelines=s.pipelines, deals=s.deals, clock=clock)
    outbox = CrmOutbox(outbox=s.outbox, systems=[a.system for a in adapters], clock=clock)
    proposer = MatchProposer(crm_contacts=s.crm_contacts, merges=s.merges, clock=clock)
    return CrmSide(
        stores=s,
        pipelines=pipelines,
        sales=Sales(
            leads=s.leads,
            deals=s.deals,
            companies=s.companies,
            notes=s.notes,
            crm_contacts=s.crm_contacts,
            lines=lines,
            pipelines=pipelines,
            outbox=outbox,
            publisher=publisher,
            clock=clock,
            conversations=conversations,
        ),
        tasks=Tasks(tasks=s.tasks, leads=s.leads, deals=s.deals, publisher=publisher, clock=clock),
        merger=ContactMerger(
            contacts=contacts,
            crm_contacts=s.crm_contacts,
            merges=s.merges,
            leads=s.leads,
            deals=s.deals,
            tasks=s.tasks,
            notes=s.notes,
            clock=clock,
        ),
        proposer=proposer,
        view=Crm360View(
            contacts=contacts,
            companies=s.companies,
            crm_contacts=s.crm_contacts,
            leads=s.leads,
            deals=s.deals,
            tasks=s.tasks,
            notes=s.notes,
        ),
        hook=AutoCrmHook(
            conversations=conversations,
            leads=s.leads,
            deals=s.deals,
            crm_contacts=s.crm_contacts,
            pipelines=pipelines,
            outbox=outbox,
            proposer=proposer,
            publisher=publisher,
            clock=clock,
        ),
        outbox=outbox,
        drainer=OutboxDrainer(
            outbox=s.outbox,
            refs=s.refs,
            adapters=adapters,
            contacts=contacts,
            companies=s.companies,
            leads=s.leads,
            deals=s.deals,
            conversations=conversations,
            clock=clock,
            publisher=publisher,
            batch_size=opts.batch_size,
            lease_s=opts.lease_s,
            max_attempts=opts.max_attempts,
            backoff_base_s=opts.backoff_base_s,
            backoff_max_s=opts.backoff_max_s,
        ),
    )
