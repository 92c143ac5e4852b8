"""What connectors produce from a platform's webhook: normalized, platform-free events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from inbox.domain import limits
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
    """A customer's message, normalized. ``external_id`` is the dedupe key on its line.

    Every field is bounded by ``inbox.domain.limits``: whatever a connector passes, the
    message can be stored (text cut with a marker, ids refused when empty or too long,
    phones E.164 or None, sizes and dates MongoDB can hold or None).
    """

    external_id: limits.ExternalId
    external_user_id: limits.ExternalId
    user_name: limits.Name = ""
    username: limits.Username | None = None
    phone: limits.Phone = None
    email: limits.Email = None
    language: limits.Language = None
    text: limits.Text | None = None
    attachments: Annotated[
        tuple[Attachment, ...], limits.bounded_tuple(limits.ATTACHMENTS_MAX)
    ] = ()
    reply_to_external_id: limits.OptionalId = None
    sent_at: limits.When = None
    edited_at: limits.When = None  # set when this is an edit of an earlier message
    source: limits.Source | None = None  # deep-link payload, campaign, form name
    subject: limits.Subject | None = None  # email subject, form title
    payload: str | None = Field(default=None, max_length=1000)  # quick reply / button
    # A copy of a message the business sent (Instagram's echoes): stored as outbound,
    # never sent again, never twice beside the hub's own copy; the customer is
    # ``external_user_id``. An echo of a customer we never saw is ignored.
    echo: bool = False
    mail: MailDetails | None = None  # email only: headers, sanitized HTML, quoted part
    thread: ThreadHints | None = None  # email only: how to find its conversation

    def fit(self, channel: str) -> InboundMessage:
        """This message within the channel's own limits (text, caption, names)."""
        bounds = limits.limits_for(channel)
        text_max = bounds.caption if self.attachments else bounds.text
        changes: dict[str, Any] = {}
        if self.text is not None and len(self.text) > text_max:
            changes["text"] = limits.cut(self.text, text_max)
        if len(self.user_name) > bounds.name:
            changes["user_name"] = limits.cut(self.user_name, bounds.name)
        if self.username is not None and len(self.username) > bounds.username:
            changes["username"] = None  # a cut handle names someone else
        return self.model_copy(update=changes) if changes else self


class StatusUpdate(Model):
    """The platform reports on one of our outbound messages (by its external id)."""

    external_id: limits.ExternalId
    status: DeliveryStatus
    at: limits.When = None
    error: limits.Reason | None = None


class ContactUpdate(Model):
    """The platform tells us something about a customer, e.g. they blocked the bot."""

    external_user_id: limits.ExternalId
    user_name: limits.Name | None = None
    reachable: bool | None = None
    phone: limits.Phone = None
    language: limits.Language = None
    create: bool = False  # a customer we have not seen yet becomes a contact (Viber subscribe)
    source: limits.Source | None = None  # deep-link context for their next conversation
    username: limits.Username | None = None  # platform handle (profile)
    avatar_url: limits.Url = None  # profile picture

    def fit(self, channel: str) -> ContactUpdate:
        """This update within the channel's own limit for names."""
        bounds = limits.limits_for(channel)
        if self.user_name is not None and len(self.user_name) > bounds.name:
            return self.model_copy(update={"user_name": limits.cut(self.user_name, bounds.name)})
        return self


class ReactionUpdate(Model):
    """A customer reacted to a message (``emoji`` None: they removed their reaction)."""

    external_id: limits.ExternalId  # the message reacted to
    external_user_id: limits.ExternalId
    emoji: str | None = Field(default=None, max_length=64)
    at: limits.When = None


class MessageDeleted(Model):
    """The author unsent a message: it is marked deleted, its text kept for audit."""

    external_id: limits.ExternalId
    at: limits.When = None


class ReadUpTo(Model):
    """The customer read our messages up to one message (and/or a watermark time)."""

    external_user_id: limits.ExternalId
    external_id: limits.OptionalId = None
    watermark: limits.When = None


class Ignored(Model):
    """An event we acknowledge and log but do not store (group chats, unknown kinds)."""

    reason: limits.Reason
    kind: limits.Kind | None = None


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


class RejectedWebhook(Model):
    """A signed webhook we refused: why, when, and which body (by hash, never its content
    or headers). Replays of one body count up on the same record."""

    line_id: str
    channel: str
    code: limits.Kind
    reason: limits.Reason
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: datetime
