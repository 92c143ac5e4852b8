"""The channel seam: connectors and what they offer, the live publisher, files, hooks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from inbox.domain.events import Event, MessageStored
from inbox.domain.inbound import (
    ContactUpdate,
    RejectedWebhook,
    WebhookRequest,
    WebhookResult,
)
from inbox.domain.models import (
    Attachment,
    ChannelKind,
    Contact,
    Conversation,
    Line,
    Message,
)


class EventPublisher(Protocol):
    """Pushes domain events to every web process (and so to browsers)."""

    async def publish(self, event: Event) -> str: ...


class FileStore(Protocol):
    """Stores attachment bytes; returns an id usable in ``Attachment.file_id``."""

    async def put(self, data: bytes, *, name: str | None, mime_type: str | None) -> str: ...
    async def get(self, file_id: str) -> tuple[bytes, dict[str, Any]]: ...


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
