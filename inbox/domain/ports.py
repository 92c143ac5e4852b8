"""Ports: every boundary the services and plugins depend on, as ``typing.Protocol``.

Concrete parts live in ``inbox.store`` (MongoDB, Redis), ``connectors/*``, ``routing`` and
``crm_sync``; ``inbox.wiring`` picks and injects them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from inbox.domain.events import Event, MessageStored
from inbox.domain.inbound import ContactUpdate, InboundMessage, WebhookRequest, WebhookResult
from inbox.domain.models import (
    ChannelKind,
    Contact,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Hop,
    Line,
    Message,
    Operator,
    Presence,
    Team,
)

# ---------------------------------------------------------------- repositories


class LineRepository(Protocol):
    async def add(self, line: Line) -> Line: ...
    async def get(self, line_id: str) -> Line: ...  # raises NotFound
    async def list(self) -> list[Line]: ...
    async def replace(self, line: Line) -> Line: ...


@dataclass(frozen=True, slots=True)
class ThreadResult:
    """Which conversation a customer message belongs to, and whether that was a start."""

    conversation: Conversation
    created: bool
    reopened: bool


class ContactRepository(Protocol):
    async def upsert_identity(self, line: Line, inbound: InboundMessage, now: datetime) -> Contact:
        """The contact with this channel identity, created on first sight (idempotent)."""
        ...

    async def get(self, contact_id: str) -> Contact: ...
    async def find_by_identity(self, line_id: str, external_id: str) -> Contact | None: ...
    async def apply_update(
        self, line: Line, update: ContactUpdate, now: datetime
    ) -> Contact | None: ...
    async def list(self, limit: int = 100) -> list[Contact]: ...


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

    async def get(self, conversation_id: str) -> Conversation: ...
    async def record_inbound(
        self, conversation_id: str, at: datetime, preview: str | None, *, count_unread: bool = True
    ) -> Conversation: ...
    async def record_outbound(
        self, conversation_id: str, at: datetime, preview: str | None
    ) -> Conversation: ...
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
    ) -> Conversation | None:
        """Change the assignee only if it is still ``expected``; None when it was not."""
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
    async def mark_sent(self, message_id: str, external_id: str, at: datetime) -> Message: ...
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


class OperatorRepository(Protocol):
    async def add(self, operator: Operator, password_hash: str | None) -> Operator: ...
    async def get(self, operator_id: str) -> Operator: ...
    async def get_by_login(self, login: str) -> Operator | None: ...
    async def password_hash(self, operator_id: str) -> str | None: ...
    async def list(self) -> list[Operator]: ...


class SnoozedConversations(Protocol):
    """Snoozed conversations whose time has come (the inbox's snooze-until)."""

    async def due_snoozed(self, now: datetime, limit: int = 100) -> list[Conversation]: ...
    async def wake(self, conversation_id: str, now: datetime) -> Conversation | None:
        """Reopen it if it is still snoozed; None when something else changed it first."""
        ...


class TeamRepository(Protocol):
    async def add(self, team: Team) -> Team: ...
    async def get(self, team_id: str) -> Team: ...
    async def list(self) -> list[Team]: ...


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


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """The platform accepted the message; ``external_id`` matches its later status events."""

    external_id: str
    extra_external_ids: tuple[str, ...] = ()  # when one reply became several platform messages


class Connector(Protocol):
    """One channel: verifies and parses its webhooks, sends replies, registers itself.

    ``handle`` raises ``Unauthorized`` for a bad signature and ``ValidationFailed`` for a
    malformed body; unknown event kinds come back as ``Ignored`` events. ``send`` raises
    ``DeliveryError`` with ``retryable`` set by the platform's answer.
    """

    kind: ChannelKind

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult: ...
    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt: ...
    async def register(self, line: Line, webhook_url: str) -> Line: ...


class ConnectorRegistry(Protocol):
    def get(self, kind: ChannelKind) -> Connector: ...
    def kinds(self) -> Sequence[ChannelKind]: ...


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

    async def on_operator_reply(self, conversation_id: str, operator_id: str) -> None: ...

    async def on_resolved(self, conversation_id: str) -> None: ...

    async def set_presence(self, operator_id: str, presence: Presence) -> None: ...

    async def heartbeat(self, operator_id: str) -> None: ...


class CrmView(Protocol):
    """The CRM side as the inbox sees it: the 360-degree view of a contact."""

    async def contact_overview(self, contact_id: str) -> dict[str, Any]:
        """Conversations, leads, deals, tasks and notes of a contact, newest first."""
        ...
