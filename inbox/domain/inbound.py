"""What connectors produce from a platform's webhook: normalized, platform-free events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field

from inbox.domain.models import Attachment, DeliveryStatus, Model


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
    payload: str | None = Field(default=None, max_length=1000)  # quick reply / button
    # A copy of a message the business sent (Instagram's echoes): stored as outbound,
    # never sent again, never twice beside the hub's own copy; the customer is
    # ``external_user_id``. An echo of a customer we never saw is ignored.
    echo: bool = False


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
    username: str | None = Field(default=None, max_length=300)  # platform handle (profile)
    avatar_url: str | None = Field(default=None, max_length=4096)  # profile picture


class ReactionUpdate(Model):
    """A customer reacted to a message (``emoji`` None: they removed their reaction)."""

    external_id: str = Field(min_length=1, max_length=256)  # the message reacted to
    external_user_id: str = Field(min_length=1, max_length=256)
    emoji: str | None = Field(default=None, max_length=64)
    at: datetime | None = None


class MessageDeleted(Model):
    """The author unsent a message: it is marked deleted, its text kept for audit."""

    external_id: str = Field(min_length=1, max_length=256)
    at: datetime | None = None


class ReadUpTo(Model):
    """The customer read our messages up to one message (and/or a watermark time)."""

    external_user_id: str = Field(min_length=1, max_length=256)
    external_id: str | None = Field(default=None, max_length=256)
    watermark: datetime | None = None


class Ignored(Model):
    """An event we acknowledge and log but do not store (group chats, unknown kinds)."""

    reason: str
    kind: str | None = None


InboundEvent = (
    InboundMessage
    | StatusUpdate
    | ContactUpdate
    | ReactionUpdate
    | MessageDeleted
    | ReadUpTo
    | Ignored
)


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
