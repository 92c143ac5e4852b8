"""What connectors produce from a platform's webhook: normalized, platform-free events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field

from inbox.domain.models import Attachment, DeliveryStatus, MailDetails, Model


class ThreadHints(Model):
    """How an email finds its conversation (used in this order by the mail threader).

    ``references``: In-Reply-To then References (newest first), matched against stored
    Message-IDs; ``conversation_id``: from our own verified reply token; ``subject_key``:
    the normalized subject, matched within a time window from the same sender (None for a
    forward, which always starts a conversation); ``thread_key``: this mail's own key, the
    root of a new conversation.
    """

    references: tuple[str, ...] = Field(default=(), max_length=64)
    conversation_id: str | None = Field(default=None, max_length=64)
    subject_key: str | None = Field(default=None, max_length=998)
    thread_key: str = Field(min_length=1, max_length=998)


class InboundMessage(Model):
    """A customer's message, normalized. ``external_id`` is the dedupe key on its line."""

    external_id: str = Field(min_length=1, max_length=256)
    external_user_id: str = Field(min_length=1, max_length=256)
    user_name: str = ""
    username: str | None = None
    phone: str | None = None
    email: str | None = None
    language: str | None = None
    text: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to_external_id: str | None = None
    sent_at: datetime | None = None
    edited_at: datetime | None = None  # set when this is an edit of an earlier message
    source: str | None = None  # deep-link payload, campaign, form name
    subject: str | None = None  # email subject, form title
    mail: MailDetails | None = None  # email only: headers, sanitized HTML, quoted part
    thread: ThreadHints | None = None  # email only: how to find its conversation


class StatusUpdate(Model):
    """The platform reports on one of our outbound messages (by its external id)."""

    external_id: str
    status: DeliveryStatus
    at: datetime | None = None
    error: str | None = None


class ContactUpdate(Model):
    """The platform tells us something about a customer, e.g. they blocked the bot."""

    external_user_id: str
    user_name: str | None = None
    reachable: bool | None = None
    phone: str | None = None
    language: str | None = None
    create: bool = False  # a customer we have not seen yet becomes a contact (Viber subscribe)
    source: str | None = None  # deep-link context for their next conversation (Viber)


class Ignored(Model):
    """An event we acknowledge and log but do not store (group chats, unknown kinds)."""

    reason: str
    kind: str | None = None


InboundEvent = InboundMessage | StatusUpdate | ContactUpdate | Ignored


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """The parts of an HTTP request a connector needs, free of any web framework.

    ``headers`` keys are lower-case. ``body`` is the exact bytes received, for signatures.
    """

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What a connector made of one webhook request, and what to answer the platform."""

    events: tuple[InboundEvent, ...] = ()
    status: int = 200
    body: Any = field(default_factory=dict)  # JSON-serializable, or str for a text answer
