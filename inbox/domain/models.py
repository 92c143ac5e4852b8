"""Domain models: frozen pydantic v2 models shared by every layer and plugin.

Storage maps them to MongoDB documents (``id`` <-> ``_id``); plugins receive and return
them. Raw platform payloads never come this far: connectors turn them into
:class:`inbox.domain.inbound.InboundMessage` first.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from inbox.domain import limits
from inbox.domain.ids import new_id

Id = Annotated[str, Field(min_length=1, max_length=64)]


class Model(BaseModel):
    """Base of every domain model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ChannelKind(StrEnum):
    API = "api"
    TELEGRAM = "telegram"
    VIBER = "viber"
    INSTAGRAM = "instagram"
    EMAIL = "email"


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"  # internal note, never sent to the customer


class DeliveryStatus(StrEnum):
    RECEIVED = "received"  # inbound messages
    PENDING = "pending"
    RETRYING = "retrying"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


# Delivery statuses only move forward: a late "delivered" never undoes "read".
DELIVERY_RANK: dict[DeliveryStatus, int] = {
    DeliveryStatus.RECEIVED: 0,
    DeliveryStatus.PENDING: 1,
    DeliveryStatus.RETRYING: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.READ: 5,
    DeliveryStatus.FAILED: 6,
}


class Role(StrEnum):
    OPERATOR = "operator"
    MANAGER = "manager"
    ADMIN = "admin"


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class AttachmentKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    VOICE = "voice"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    LINK = "link"


class Attachment(Model):
    """A file or structured item on a message. The file itself is fetched lazily.

    Every field is bounded (see ``inbox.domain.limits``): it comes from webhooks."""

    kind: AttachmentKind
    name: limits.FileName | None = None
    mime_type: limits.Mime = None
    size: limits.Size = None  # unknown when absent or beyond any real file
    url: limits.Url = None
    file_id: limits.OptionalId = None  # our stored file (file store), once fetched
    external_id: limits.OptionalId = None  # the platform's file id, e.g. Telegram file_id
    latitude: limits.Latitude = None
    longitude: limits.Longitude = None
    phone: limits.Phone = None  # E.164 digits; None when the value is not a phone number
    title: limits.Title | None = None


class ChannelIdentity(Model):
    """Who the customer is on one line: the platform's user id there."""

    line_id: Id
    channel: ChannelKind
    external_id: str
    username: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None  # the platform's profile picture (a link that may expire)
    reachable: bool = True  # False once the customer blocked the bot or unsubscribed
    # A deep-link context seen before the customer wrote (Viber conversation_started):
    # the source of the conversation their next message starts, then cleared.
    pending_source: str | None = None

    @property
    def key(self) -> str:
        return identity_key(self.line_id, self.external_id)


def identity_key(line_id: str, external_id: str) -> str:
    """The unique key of a channel identity; user ids are unique per line (Viber: per bot)."""
    return f"{line_id}:{external_id}"


class Contact(Model):
    id: Id = Field(default_factory=new_id)
    name: str = ""
    identities: tuple[ChannelIdentity, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    company_id: str | None = None
    language: str | None = None
    owner_id: str | None = None  # the operator responsible for this customer
    merged_into: str | None = None  # set on a contact absorbed by an explicit merge
    created_at: datetime
    updated_at: datetime


class Company(Model):
    id: Id = Field(default_factory=new_id)
    name: str
    domain: str | None = None
    phones: tuple[str, ...] = ()
    owner_id: str | None = None
    created_at: datetime
    updated_at: datetime


class BusinessHoursWindow(Model):
    """Open from ``start`` to ``end`` ("HH:MM", local time) on ``weekday`` (0 = Monday)."""

    weekday: int = Field(ge=0, le=6)
    start: str = Field(pattern=r"^\d\d:\d\d$")
    end: str = Field(pattern=r"^\d\d:\d\d$")


class BusinessHours(Model):
    """Empty ``windows`` means always open."""

    windows: tuple[BusinessHoursWindow, ...] = ()
    holidays: tuple[str, ...] = ()  # ISO dates, local to the line's time zone
    # ISO 3166 code whose public holidays (the ``holidays`` library) close the line too.
    holiday_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class RoutingStrategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_BUSY = "least_busy"
    MANUAL = "manual"
    CAPACITY = "capacity"  # the operator with the most free room (lowest open / max_open)


class RoutingRules(Model):
    strategy: RoutingStrategy = RoutingStrategy.LEAST_BUSY
    team_id: str | None = None
    sticky_minutes: int = Field(default=0, ge=0)  # 0: no stickiness
    match_language: bool = True
    respect_capacity: bool = True
    no_reply_timeout_s: int = Field(default=120, ge=1)
    max_hops: int = Field(default=3, ge=0)
    offline_grace_s: int | None = Field(default=300, ge=0)  # None: keep chats of offline operators
    sticky_owner: bool = True  # B2B lines: the account owner counts as the returning operator
    escalate_to_manager: bool = True  # out of hops: the team's manager is told (flag + event)


class CrmCreate(StrEnum):
    NOTHING = "nothing"
    LEAD = "lead"
    DEAL = "deal"


class CrmRules(Model):
    create: CrmCreate = CrmCreate.NOTHING
    pipeline_id: str | None = None
    responsible: str = "assignee"  # "assignee" or an operator id
    b2b: bool = False


class Line(Model):
    """One channel account, e.g. one Telegram bot or one mailbox."""

    id: Id = Field(default_factory=new_id)
    kind: ChannelKind
    name: str = Field(min_length=1, max_length=200)
    credentials: dict[str, SecretStr] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)  # kind-specific, not secret
    routing: RoutingRules = RoutingRules()
    crm: CrmRules = CrmRules()
    business_hours: BusinessHours = BusinessHours()
    timezone: str = "UTC"
    reopen_window_s: int = Field(default=24 * 3600, ge=0)
    welcome_text: str | None = None
    enabled: bool = True
    created_at: datetime

    def secret(self, name: str) -> str:
        """The plain value of one credential; raises KeyError when the line lacks it."""
        return self.credentials[name].get_secret_value()


class Hop(Model):
    """One assignment change, kept on the conversation for audit and reports."""

    at: datetime
    from_operator: str | None = None
    to_operator: str | None = None
    to_team: str | None = None
    reason: str  # routed, no_reply, offline, transfer, claim, manager, released, queue
    by: str | None = None  # operator who acted, None for the router
    note: str | None = None


class Conversation(Model):
    id: Id = Field(default_factory=new_id)
    line_id: Id
    channel: ChannelKind
    contact_id: Id
    status: ConversationStatus = ConversationStatus.OPEN
    assignee_id: str | None = None
    team_id: str | None = None
    priority: int = 0  # higher first
    source: str | None = None  # e.g. a deep-link payload or an ad campaign
    subject: str | None = None
    snoozed_until: datetime | None = None
    created_at: datetime
    updated_at: datetime
    first_customer_message_at: datetime | None = None
    first_operator_response_at: datetime | None = None
    last_customer_message_at: datetime | None = None
    last_operator_message_at: datetime | None = None
    # The last human reply the platform accepted (a failed send never counts as a response).
    last_response_at: datetime | None = None
    last_message_at: datetime | None = None
    last_message_preview: str | None = None
    assigned_at: datetime | None = None
    resolved_at: datetime | None = None
    reopen_count: int = 0
    unread_count: int = 0
    hops: tuple[Hop, ...] = ()
    needs_attention: bool = False  # set when reassignment ran out of hops
    queued_at: datetime | None = None  # when it last entered the unassigned queue (router)
    reply_due_at: datetime | None = None  # the assignee must answer by then (router)
    lead_id: str | None = None
    deal_id: str | None = None


class DeliveryFailure(Model):
    reason: str
    code: str | None = None
    at: datetime


class MailDetails(Model):
    """What an email adds to a message: its headers for threading, and the parts the
    conversation view leaves out (sanitized HTML, the quoted history and signature)."""

    message_id: str | None = Field(default=None, max_length=998)
    subject: str | None = Field(default=None, max_length=998)
    references: tuple[str, ...] = Field(default=(), max_length=64)
    to: tuple[str, ...] = Field(default=(), max_length=64)
    cc: tuple[str, ...] = Field(default=(), max_length=64)
    html: str | None = Field(default=None, max_length=2_000_000)  # sanitized, on demand
    remote_images: bool = False  # the HTML had remote images, blocked until asked for
    quoted: str | None = Field(default=None, max_length=200_000)  # cut from ``text``
    automatic: str | None = Field(default=None, max_length=200)  # why: auto-replied, list...


class MessageVersion(Model):
    """A previous text of an edited message."""

    text: str | None
    edited_at: datetime


class Reaction(Model):
    """A customer's reaction to a message (one per person: a new one replaces theirs)."""

    by: str = Field(max_length=256)  # the reacting person's platform user id
    emoji: str = Field(max_length=64)
    at: datetime


class Message(Model):
    id: Id = Field(default_factory=new_id)
    conversation_id: Id
    line_id: Id
    channel: ChannelKind
    direction: Direction
    sender_id: str | None = None  # contact id (in) or operator id (out, note)
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    external_id: str | None = None  # the platform's message id, unique per line
    reply_to_external_id: str | None = None
    reply_to_id: str | None = None
    status: DeliveryStatus
    error: DeliveryFailure | None = None
    attempts: int = 0
    created_at: datetime  # when we stored it
    sent_at: datetime | None = None  # platform time for inbound, send time for outbound
    edited_at: datetime | None = None
    versions: tuple[MessageVersion, ...] = ()
    # Unsent by its author on the platform: the text stays for audit, the inbox hides it.
    deleted_at: datetime | None = None
    reactions: tuple[Reaction, ...] = ()
    payload: str | None = None  # a quick-reply or button payload the customer chose
    # Outbound, but typed by a person in the platform's own app (an echo), not in the hub.
    sent_outside: bool = False
    quick_replies: tuple[str, ...] = ()  # choices offered with an outbound message
    mail: MailDetails | None = None  # email lines only


class Operator(Model):
    id: Id = Field(default_factory=new_id)
    login: str = Field(min_length=1, max_length=100)
    name: str
    role: Role = Role.OPERATOR
    teams: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    max_open: int = Field(default=10, ge=0)
    locale: str = "en"
    active: bool = True
    created_at: datetime


class Team(Model):
    id: Id = Field(default_factory=new_id)
    name: str
    manager_id: str | None = None
    created_at: datetime


class CannedResponse(Model):
    """A prepared reply; ``{{contact.name}}``-style placeholders are filled in when used."""

    id: Id = Field(default_factory=new_id)
    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=4000)
    shortcut: str | None = Field(default=None, max_length=30)
    team_id: str | None = None  # None: shared by everyone
    created_by: str | None = None
    created_at: datetime


class Stage(Model):
    id: str
    name: str
    order: int
    terminal: bool = False
    won: bool = False


class PipelineKind(StrEnum):
    LEAD = "lead"
    DEAL = "deal"


class Pipeline(Model):
    id: Id = Field(default_factory=new_id)
    name: str
    kind: PipelineKind
    stages: tuple[Stage, ...]
    b2b: bool = False
    created_at: datetime


class StageMove(Model):
    at: datetime
    by: str | None
    from_stage: str | None
    to_stage: str
    via: str | None = None  # where the move came from: auto, api, cli, conversion, merge
    pipeline_id: str | None = None  # set when the move changed the pipeline


class LeadStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"


class Lead(Model):
    id: Id = Field(default_factory=new_id)
    title: str
    contact_id: str
    company_id: str | None = None
    conversation_ids: tuple[str, ...] = ()
    line_id: str | None = None
    status: LeadStatus = LeadStatus.NEW
    disqualify_reason: str | None = None
    responsible_id: str | None = None
    deal_id: str | None = None
    history: tuple[StageMove, ...] = ()
    created_at: datetime
    updated_at: datetime


class Deal(Model):
    id: Id = Field(default_factory=new_id)
    title: str
    pipeline_id: str
    stage_id: str
    contact_id: str
    company_id: str | None = None
    lead_id: str | None = None
    conversation_ids: tuple[str, ...] = ()
    line_id: str | None = None
    amount: str | None = None  # decimal as a string: money is never a float
    currency: str | None = None
    responsible_id: str | None = None
    history: tuple[StageMove, ...] = ()
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


# ---------------------------------------------------------------- CRM side (issue 6)


class Task(Model):
    """A to-do with a due time ("call back tomorrow at 10:00"), fired once by the worker."""

    id: Id = Field(default_factory=new_id)
    title: str = Field(min_length=1, max_length=500)
    due_at: datetime
    responsible_id: str
    contact_id: str | None = None
    company_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None
    conversation_id: str | None = None
    created_by: str | None = None
    done: bool = False
    done_at: datetime | None = None
    fired_at: datetime | None = None  # when the reminder went to the responsible operator
    created_at: datetime


class Note(Model):
    """A free-text CRM note on a contact, company, lead or deal (never sent to anyone)."""

    id: Id = Field(default_factory=new_id)
    text: str = Field(min_length=1, max_length=10_000)
    author_id: str | None = None
    contact_id: str | None = None
    company_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None
    created_at: datetime


class MergeProposalStatus(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    DISMISSED = "dismissed"


class MergeProposal(Model):
    """Two contacts that share a phone or an email; merging them needs a person to confirm."""

    id: Id  # the two contact ids, sorted and joined: one proposal per pair
    contact_ids: tuple[str, str]
    reasons: tuple[str, ...]  # e.g. "phone:+4915112345678", "email:ann@example.com"
    status: MergeProposalStatus = MergeProposalStatus.OPEN
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None


class ContactMerge(Model):
    """What an explicit merge moved from ``source_id`` into ``target_id``, so it can be undone."""

    id: Id = Field(default_factory=new_id)
    source_id: str
    target_id: str
    by: str
    at: datetime
    identities: tuple[ChannelIdentity, ...] = ()
    phones_added: tuple[str, ...] = ()
    emails_added: tuple[str, ...] = ()
    conversation_ids: tuple[str, ...] = ()
    lead_ids: tuple[str, ...] = ()
    deal_ids: tuple[str, ...] = ()
    task_ids: tuple[str, ...] = ()
    note_ids: tuple[str, ...] = ()
    undone_at: datetime | None = None
    undone_by: str | None = None


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # permanent: shown to managers with its reason, retried only by hand


class OutboxItem(Model):
    """One change to push to an external CRM; ``id`` is its idempotency key."""

    id: str = Field(min_length=1, max_length=200)  # system:entity:local_id:action[:n]
    system: str  # e.g. "bitrix24"
    entity: str  # contact, company, lead, deal, comment
    entity_id: str  # our id of the thing pushed
    action: str  # create, update, comment
    conversation_id: str | None = None  # for "comment": the conversation to add
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    last_error_code: str | None = None
    remote_id: str | None = None
    created_at: datetime
    updated_at: datetime


class RemoteRef(Model):
    """Our id of a CRM entity and its id in an external CRM."""

    system: str
    entity: str
    local_id: str
    remote_id: str
    at: datetime


class CrmAudience(Model):
    """Whose CRM records a caller may list: records of these contacts or companies, and
    records the operator is responsible for (built by the API from the inbox's scope)."""

    operator_id: str
    contact_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
