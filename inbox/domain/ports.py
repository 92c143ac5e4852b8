"""Ports: every boundary the services and plugins depend on, as ``typing.Protocol``.

Concrete parts live in ``inbox.store`` (MongoDB, Redis), ``connectors/*``, ``routing`` and
``crm_sync``; ``inbox.wiring`` picks and injects them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from inbox.domain.events import Event, MessageStored
from inbox.domain.inbound import (
    ContactUpdate,
    InboundMessage,
    RejectedWebhook,
    WebhookRequest,
    WebhookResult,
)
from inbox.domain.models import (
    Attachment,
    ChannelKind,
    Company,
    Contact,
    ContactMerge,
    Conversation,
    ConversationStatus,
    CrmAudience,
    Deal,
    DeliveryStatus,
    Hop,
    Lead,
    Line,
    MergeProposal,
    Message,
    Note,
    Operator,
    OutboxItem,
    Pipeline,
    Presence,
    RemoteRef,
    StageMove,
    Task,
    Team,
)

# ---------------------------------------------------------------- repositories


class LineRepository(Protocol):
    async def add(self, line: Line) -> Line: ...
    async def get(self, line_id: str) -> Line: ...  # raises NotFound
    async def list(self) -> list[Line]: ...
    async def replace(self, line: Line) -> Line: ...
    async def remove(self, line_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ThreadResult:
    """Which conversation a customer message belongs to, and whether that was a start."""

    conversation: Conversation
    created: bool
    reopened: bool
    woken: bool = False  # it was snoozed: the customer's message reopened it at once


class ContactRepository(Protocol):
    async def upsert_identity(self, line: Line, inbound: InboundMessage, now: datetime) -> Contact:
        """The contact with this channel identity, created on first sight (idempotent)."""
        ...

    async def identify(
        self, line: Line, inbound: InboundMessage, now: datetime
    ) -> tuple[Contact, bool]:
        """Like ``upsert_identity``, and whether this very call created the contact."""
        ...

    async def get(self, contact_id: str) -> Contact: ...
    async def find_by_identity(self, line_id: str, external_id: str) -> Contact | None: ...
    async def apply_update(
        self, line: Line, update: ContactUpdate, now: datetime
    ) -> Contact | None: ...
    async def list(self, limit: int = 100) -> list[Contact]: ...

    async def clear_pending_source(self, line_id: str, external_id: str, source: str) -> None:
        """Consume an identity's ``pending_source`` if it is still ``source``."""
        ...

    async def discard_if_unused(self, contact_id: str) -> bool:
        """Delete a contact no conversation refers to (undoing a failed first message)."""
        ...


class ConversationRepository(Protocol):
    async def thread(
        self,
        line: Line,
        contact: Contact,
        now: datetime,
        *,
        source: str | None = None,
        subject: str | None = None,
    ) -> ThreadResult:
        """The open conversation of this contact on this line; reopen or create as needed."""
        ...

    async def discard_if_empty(self, conversation_id: str) -> bool:
        """Delete a conversation that never got a message (undoing a failed first message)."""
        ...

    async def get(self, conversation_id: str) -> Conversation: ...
    async def record_inbound(
        self, conversation_id: str, at: datetime, preview: str | None, *, count_unread: bool = True
    ) -> Conversation: ...
    async def record_outbound(
        self, conversation_id: str, at: datetime, preview: str | None
    ) -> Conversation: ...
    async def record_response(self, conversation_id: str, at: datetime) -> None:
        """A human reply the platform accepted: the first response time, the waiting clock."""
        ...

    async def set_status(
        self,
        conversation_id: str,
        status: ConversationStatus,
        now: datetime,
        *,
        snoozed_until: datetime | None = None,
    ) -> Conversation: ...
    async def list(
        self,
        *,
        line_id: str | None = None,
        status: ConversationStatus | None = None,
        assignee_id: str | None = None,
        contact_id: str | None = None,
        limit: int = 50,
    ) -> list[Conversation]: ...

    async def set_assignee(
        self,
        conversation_id: str,
        *,
        expected: str | None,
        assignee: str | None,
        team_id: str | None,
        hop: Hop,
        needs_attention: bool = False,
        reply_due_at: datetime | None = None,
    ) -> Conversation | None:
        """Change the assignee only if it is still ``expected``; None when it was not.

        Releasing (``assignee=None``) also stamps ``queued_at``; ``reply_due_at`` is kept as given.
        """
        ...

    async def queue(
        self, *, line_ids: Sequence[str] | None = None, limit: int = 100
    ) -> builtins.list[Conversation]:
        """Open unassigned conversations not flagged, by priority then waiting time."""
        ...

    async def assignments(self) -> builtins.list[tuple[str, str]]:
        """``(conversation_id, assignee_id)`` of every active assigned conversation."""
        ...

    async def set_reply_due(
        self, conversation_id: str, due: datetime | None, *, only_if_unset: bool = False
    ) -> None: ...

    async def reply_overdue(self, now: datetime, limit: int = 100) -> builtins.list[Conversation]:
        """Active assigned conversations whose ``reply_due_at`` has passed, oldest first."""
        ...

    async def last_served_by(self, contact_id: str, line_id: str) -> tuple[str, datetime] | None:
        """Who last had a conversation of this contact on this line, and when it ended."""
        ...


class MessageRepository(Protocol):
    async def insert(self, message: Message) -> tuple[Message, bool]:
        """Store a message; on a duplicate (line + external id) return the stored one, False."""
        ...

    async def get(self, message_id: str) -> Message: ...
    async def get_by_external(self, line_id: str, external_id: str) -> Message | None: ...
    async def apply_edit(
        self, line_id: str, external_id: str, text: str | None, edited_at: datetime
    ) -> Message | None: ...
    async def hooks_done(self, message_id: str) -> bool: ...
    async def mark_hooks_done(self, message_id: str) -> None: ...
    async def hooks_pending(self, older_than: datetime, limit: int = 100) -> list[Message]: ...
    async def list_for_conversation(
        self, conversation_id: str, *, before: str | None = None, limit: int = 50
    ) -> list[Message]: ...
    async def claim_for_send(
        self, message_id: str, now: datetime, lease_s: float
    ) -> Message | None: ...
    async def mark_sent(
        self,
        message_id: str,
        external_id: str,
        at: datetime,
        extra_external_ids: Sequence[str] = (),
    ) -> Message: ...
    async def mark_retry(
        self, message_id: str, reason: str, next_attempt_at: datetime, now: datetime
    ) -> Message: ...
    async def mark_failed(
        self, message_id: str, reason: str, code: str | None, now: datetime
    ) -> Message: ...
    async def due_outbound(self, now: datetime, limit: int = 100) -> list[Message]: ...
    async def update_status_by_external(
        self,
        line_id: str,
        external_id: str,
        status: DeliveryStatus,
        at: datetime,
        error: str | None = None,
    ) -> Message | None: ...

    async def last_inbound(self, conversation_id: str) -> Message | None:
        """The customer's latest message in a conversation."""
        ...

    async def count_sent_since(self, conversation_id: str, since: datetime) -> int:
        """Outbound messages of a conversation accepted by the platform since ``since``."""
        ...

    async def files_due(self, now: datetime, limit: int = 20) -> list[Message]:
        """Inbound messages whose attachments still wait to be downloaded."""
        ...

    async def claim_files(self, message_id: str, now: datetime, lease_s: float) -> Message | None:
        """Take a message's pending downloads for a lease; None if held or nothing pending."""
        ...

    async def set_attachment_file(self, message_id: str, index: int, file_id: str) -> None: ...
    async def files_done(self, message_id: str) -> None: ...
    async def files_retry(self, message_id: str, reason: str, next_at: datetime) -> int:
        """Record a failed download; returns the number of failures so far."""
        ...


class MessageMarks(Protocol):
    """What customers do to stored messages afterwards: react, unsend, read; and the
    lookups that keep platform echoes from doubling the hub's own copies."""

    async def find_external(self, line_id: str, external_id: str) -> Message | None:
        """A message by its platform id, also a later part of a split reply."""
        ...

    async def set_reaction(
        self, line_id: str, external_id: str, by: str, emoji: str | None, at: datetime
    ) -> Message | None:
        """Replace ``by``'s reaction (None removes it); None if the message is unknown."""
        ...

    async def mark_deleted(self, line_id: str, external_id: str, at: datetime) -> Message | None:
        """Mark a message unsent (its text kept); None if unknown or already marked."""
        ...

    async def mark_read_up_to(
        self, conversation_id: str, until: datetime
    ) -> builtins.list[Message]:
        """Our accepted messages sent up to ``until`` become read; the ones that moved."""
        ...

    async def in_flight(self, conversation_id: str, now: datetime) -> builtins.list[Message]:
        """Our messages a sender holds right now (claimed, the platform not answered yet)."""
        ...


class ReplyKeys(Protocol):
    """Idempotency keys of replies: a retry with the same key finds the first reply."""

    async def bind(self, key: str, message_id: str, now: datetime, ttl_s: float) -> str:
        """Bind ``key`` to ``message_id`` unless bound within ``ttl_s``; the bound id."""
        ...


class OperatorRepository(Protocol):
    async def add(self, operator: Operator, password_hash: str | None) -> Operator: ...
    async def get(self, operator_id: str) -> Operator: ...
    async def get_by_login(self, login: str) -> Operator | None: ...
    async def password_hash(self, operator_id: str) -> str | None: ...
    async def set_password_hash(self, operator_id: str, password_hash: str) -> None: ...
    async def replace(self, operator: Operator) -> Operator: ...
    async def list(self) -> list[Operator]: ...


class SnoozedConversations(Protocol):
    """Snoozed conversations whose time has come (the inbox's snooze-until)."""

    async def due_snoozed(self, now: datetime, limit: int = 100) -> list[Conversation]: ...
    async def wake(self, conversation_id: str, now: datetime) -> Conversation | None:
        """Reopen it if it is still snoozed; None when something else changed it first."""
        ...


class ReadMarks(Protocol):
    """An operator read a conversation: its unread count goes to zero."""

    async def mark_read(self, conversation_id: str) -> Conversation: ...


class TeamRepository(Protocol):
    async def add(self, team: Team) -> Team: ...
    async def get(self, team_id: str) -> Team: ...
    async def list(self) -> list[Team]: ...
    async def replace(self, team: Team) -> Team: ...
    async def delete(self, team_id: str) -> None: ...


class PresenceRepository(Protocol):
    """Durable operator presence: the router's Redis view is rebuilt from it after a restart."""

    async def set(self, operator_id: str, presence: Presence, at: datetime) -> bool:
        """Store a presence; True when it changed (``at`` becomes its ``since``)."""
        ...

    async def all(self) -> dict[str, tuple[Presence, datetime]]:
        """Every operator's stored presence and since when."""
        ...


class AccountOwners(Protocol):
    """The operator who owns a customer's account (contact owner, else company owner)."""

    async def owner_of(self, contact: Contact) -> str | None: ...


# ---------------------------------------------------------------- infrastructure


class EventPublisher(Protocol):
    """Pushes domain events to every web process (and so to browsers)."""

    async def publish(self, event: Event) -> str: ...


class FileStore(Protocol):
    """Stores attachment bytes; returns an id usable in ``Attachment.file_id``."""

    async def put(self, data: bytes, *, name: str | None, mime_type: str | None) -> str: ...
    async def get(self, file_id: str) -> tuple[bytes, dict[str, Any]]: ...


# ---------------------------------------------------------------- plugins


@dataclass(frozen=True, slots=True)
class OutboundTarget:
    """Where an outbound message goes: the customer's identity on the message's line."""

    line: Line
    conversation: Conversation
    contact: Contact
    external_user_id: str
    # Messages this conversation got from us since the customer last wrote (at most one
    # hour back): Viber refuses more than 100 of those.
    unanswered: int = 0
    # For connectors whose reply rules depend on them (``needs_last_inbound``: Instagram's
    # window and comment replies): the customer's latest message, and how many of ours
    # the platform accepted since.
    last_inbound: Message | None = None
    sent_since_last_inbound: int = 0


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """The platform accepted the message; ``external_id`` matches its later status events."""

    external_id: str
    extra_external_ids: tuple[str, ...] = ()  # when one reply became several platform messages


class Connector(Protocol):
    """One channel: verifies and parses its webhooks, sends replies, registers itself.

    ``handle`` verifies first and raises ``Unauthorized`` for a bad signature, then
    ``PayloadRejected`` (a subclass, per channel) for a body it cannot use: the webhook
    edge records it in ``rejected_webhooks`` and answers 2xx, or ``reject_status`` when the
    connector sets one (the API channel: 422). Decode bodies with ``connectors.jsonbody``.
    Unknown event kinds come back as ``Ignored`` events. ``send`` raises ``DeliveryError``
    with ``retryable`` set by the platform's answer.
    """

    kind: ChannelKind

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult: ...
    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt: ...
    async def register(self, line: Line, webhook_url: str) -> Line: ...


@runtime_checkable
class FileSource(Protocol):
    """A connector that can download the bytes of an inbound attachment (optional)."""

    async def fetch_file(self, line: Line, attachment: Attachment) -> bytes | None:
        """The file's bytes; None when the attachment has nothing to download.

        Raises ``DeliveryError`` (``retryable`` set) when the platform refuses or fails.
        """
        ...


@runtime_checkable
class ProfileSource(Protocol):
    """A connector that can look up a customer's profile (optional; Instagram)."""

    async def fetch_profile(self, line: Line, external_user_id: str) -> ContactUpdate | None:
        """Name, username, picture; None when fresh enough already or unavailable."""
        ...


@runtime_checkable
class TokenRefresher(Protocol):
    """A connector whose line tokens expire and can be renewed (optional; Instagram)."""

    async def refresh_token(self, line: Line) -> Line | None:
        """The line with a renewed token when due, None when not due; raises on refusal."""
        ...


class ConnectorRegistry(Protocol):
    def get(self, kind: ChannelKind) -> Connector: ...
    def kinds(self) -> Sequence[ChannelKind]: ...


class RejectedWebhookLog(Protocol):
    """Where signed webhooks we refused are recorded (reason, size, hash; no content)."""

    async def record(self, rejection: RejectedWebhook) -> None:
        """Keep one record per line and body hash; a replay counts up."""
        ...


class IngestHook(Protocol):
    """Runs after a customer message is durably stored (router, CRM, notifications).

    Must be idempotent: the same ``MessageStored`` may arrive again after a crash.
    """

    async def on_message_stored(self, stored: MessageStored) -> None: ...


class Router(Protocol):
    """Assigns conversations to operators. Every change goes through one atomic path.

    All methods return the conversation as stored after the change and raise ``Conflict``
    when a concurrent change won (the caller may re-read and retry or report it).
    """

    async def route(self, conversation_id: str) -> Conversation:
        """Assign an unassigned conversation by its line's rules, or leave it queued."""
        ...

    async def claim(self, conversation_id: str, operator_id: str) -> Conversation: ...

    async def transfer(
        self,
        conversation_id: str,
        *,
        by: str | None,
        to_operator: str | None = None,
        to_team: str | None = None,
        note: str | None = None,
    ) -> Conversation: ...

    async def release(self, conversation_id: str, *, reason: str) -> Conversation: ...

    async def on_reopened(self, conversation_id: str) -> Conversation:
        """A reopen or a snooze's wake: the holder takes it back (a fresh reply deadline)
        if they can now, else it is routed again; the same path as an ingest reopen."""
        ...

    async def on_operator_reply(self, conversation_id: str, operator_id: str) -> None: ...

    async def on_resolved(self, conversation_id: str) -> None: ...

    async def set_presence(self, operator_id: str, presence: Presence) -> None: ...

    async def heartbeat(self, operator_id: str) -> None: ...

    async def assign(
        self, conversation_id: str, operator_id: str, *, by: str | None, note: str | None = None
    ) -> Conversation:
        """A manager assigns a conversation, whoever has it now (capacity still applies)."""
        ...

    async def queue(self, limit: int = 100) -> builtins.list[Conversation]: ...

    async def reconcile(self) -> int:
        """Rebuild the fast view (Redis) from MongoDB; returns how many entries it fixed."""
        ...

    async def sweep(self) -> int:
        """Timers: presence timeouts, offline grace, no-reply, opening hours, the queue."""
        ...


class CrmView(Protocol):
    """The CRM side as the inbox sees it: the 360-degree view of a contact."""

    async def contact_overview(self, contact_id: str) -> dict[str, Any]:
        """Conversations, leads, deals, tasks and notes of a contact, newest first."""
        ...


# ---------------------------------------------------------------- CRM side (issue 6)


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


# ---------------------------------------------------------------- email (issue 13)


class MailThreads(Protocol):
    """Conversations of email lines: a customer may have several at once (one per mail
    thread), found by the Message-IDs they hold or by their subject."""

    async def by_messages(
        self, line_id: str, contact_id: str, external_ids: Sequence[str]
    ) -> Conversation | None:
        """The contact's conversation holding the first of these message ids (in order)."""
        ...

    async def by_related(
        self, line_id: str, contact_id: str, external_ids: Sequence[str]
    ) -> Conversation | None:
        """The contact's conversation with a message that references one of these ids
        (mail arriving out of order: a reply stored before the mail it answers)."""
        ...

    async def remember(
        self, line_id: str, contact_id: str, conversation_id: str, references: Sequence[str]
    ) -> None:
        """Record that a mail with these references went to this conversation."""
        ...

    async def by_subject(
        self, line_id: str, contact_id: str, subject_key: str, since: datetime
    ) -> Conversation | None:
        """The contact's latest conversation with this subject, active since ``since``."""
        ...

    async def join(
        self,
        conversation: Conversation,
        now: datetime,
        *,
        subject: str | None,
        subject_key: str | None,
    ) -> ThreadResult:
        """Put a new mail into ``conversation``: reopen or wake it, update its subject."""
        ...

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
        """A new conversation rooted at ``thread_key`` (idempotent for the same key)."""
        ...


class MailboxStates(Protocol):
    """Durable IMAP bookkeeping per mailbox: UIDVALIDITY, the last UID done, a lease."""

    async def acquire(self, line_id: str, owner: str, now: datetime, lease_s: float) -> bool:
        """Take or renew the mailbox's lease; False while another worker holds it."""
        ...

    async def release(self, line_id: str, owner: str) -> None: ...

    async def position(self, line_id: str) -> tuple[int | None, int]:
        """``(uidvalidity, last_uid)`` stored for the mailbox (``(None, 0)`` at first)."""
        ...

    async def advance(
        self, line_id: str, owner: str, uidvalidity: int, last_uid: int, now: datetime
    ) -> bool:
        """Record progress while holding the lease; False when the lease was lost."""
        ...
