"""Outbound: an operator's reply is stored as ``pending`` first, then sent by a connector.

The stored message is the queue. :meth:`Sender.attempt` claims it with a lease, calls the
channel's connector and records ``sent``, ``retrying`` (with a backoff and the platform's
``retry_after``) or ``failed`` (with the platform's reason for the operator). A restart
loses nothing: the worker's :meth:`Sender.drain` picks up every due message, and the lease
keeps two processes from sending the same message at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import DeliveryError, NotFound, ValidationFailed
from inbox.domain.events import Event, message_event, status_event
from inbox.domain.ids import new_id
from inbox.domain.inbound import ContactUpdate
from inbox.domain.models import (
    Attachment,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from inbox.domain.ports import (
    ConnectorRegistry,
    ContactRepository,
    ConversationRepository,
    EventPublisher,
    LineRepository,
    MessageRepository,
    OutboundTarget,
    ReplyKeys,
)
from inbox.services.live import BestEffort

log = structlog.get_logger(__name__)

MAX_TEXT = 65_536
LEASE_S = 60.0
MAX_ATTEMPTS = 8
KEY_TTL_S = 24 * 3600.0  # how long an Idempotency-Key of a reply is remembered


def backoff_s(attempt: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: 2, 4, 8 ... seconds, at most ``cap``."""
    return random.uniform(base / 2, min(cap, base * 2 ** max(0, attempt - 1)))  # noqa: S311


def unanswered_since(conversation: Conversation, now: datetime) -> datetime:
    """Where the count of our unanswered messages starts: the customer's last message,
    at most one hour back (the window of Viber's limit)."""
    hour_ago = now - timedelta(hours=1)
    last = conversation.last_customer_message_at
    return max(last, hour_ago) if last is not None else hour_ago


@dataclass(frozen=True, slots=True)
class Draft:
    """What an operator wrote: a reply (text and/or files, optional quick replies) or a note."""

    text: str | None
    attachments: tuple[Attachment, ...] = ()
    note: bool = False
    quick_replies: tuple[str, ...] = ()


class Replier:
    """Stores an operator's reply or internal note; replies are then sent by :class:`Sender`."""

    def __init__(
        self,
        *,
        conversations: ConversationRepository,
        messages: MessageRepository,
        publisher: EventPublisher,
        clock: Clock,
        keys: ReplyKeys | None = None,
    ) -> None:
        self._conversations = conversations
        self._messages = messages
        self._live = BestEffort(publisher)
        self._clock = clock
        self._keys = keys

    async def _replayed(
        self, conversation_id: str, operator_id: str | None, key: str
    ) -> tuple[str, Message | None]:
        """The message id a keyed reply gets, and the reply already stored under the key."""
        if self._keys is None:
            raise ValidationFailed("idempotency keys are not available", code="no_idempotency")
        fresh = new_id()
        bound = await self._keys.bind(
            f"{operator_id or '-'}:{conversation_id}:{key}", fresh, self._clock.now(), KEY_TTL_S
        )
        if bound == fresh:
            return fresh, None
        try:
            return bound, await self._messages.get(bound)
        except NotFound:  # the first attempt stopped before storing it: store it now
            return bound, None

    async def reply(
        self,
        conversation_id: str,
        operator_id: str | None,
        text: str | None,
        attachments: Sequence[Attachment] = (),
        *,
        note: bool = False,
        quick_replies: Sequence[str] = (),
        idempotency_key: str | None = None,
    ) -> Message:
        """Store a reply (or a note) once; a retry with the same ``idempotency_key`` within
        24 h returns the reply the first attempt stored (it is not stored or sent again)."""
        draft = Draft(text, tuple(attachments), note=note, quick_replies=tuple(quick_replies))
        message, _ = await self.store(conversation_id, operator_id, draft, idempotency_key)
        return message

    async def store(
        self,
        conversation_id: str,
        operator_id: str | None,
        draft: Draft,
        idempotency_key: str | None = None,
    ) -> tuple[Message, bool]:
        """:meth:`reply`, and whether this call stored it (False: a replay of its key)."""
        text, attachments, note = draft.text, draft.attachments, draft.note
        quick_replies = draft.quick_replies
        if not (text and text.strip()) and not attachments:
            raise ValidationFailed("a reply needs text or an attachment", code="empty_reply")
        if text and len(text) > MAX_TEXT:
            raise ValidationFailed(f"text is longer than {MAX_TEXT} characters", code="too_long")
        conversation = await self._conversations.get(conversation_id)
        message_id = new_id()
        if idempotency_key is not None:
            message_id, earlier = await self._replayed(
                conversation.id, operator_id, idempotency_key
            )
            if earlier is not None:
                log.info("reply_replayed", message_id=earlier.id)
                return earlier, False
        now = self._clock.now()
        message = Message(
            id=message_id,
            conversation_id=conversation.id,
            line_id=conversation.line_id,
            channel=conversation.channel,
            direction=Direction.NOTE if note else Direction.OUT,
            sender_id=operator_id,
            text=text,
            attachments=tuple(attachments),
            quick_replies=() if note else tuple(quick_replies),
            status=DeliveryStatus.SENT if note else DeliveryStatus.PENDING,
            created_at=now,
        )
        message, inserted = await self._messages.insert(message)
        if not inserted:  # a concurrent retry of the same key stored it first
            log.info("reply_replayed", message_id=message.id)
            return message, False
        if not note:
            conversation = await self._conversations.record_outbound(
                conversation.id, now, text or ""
            )
            if conversation.status is ConversationStatus.RESOLVED:
                conversation = await self._conversations.set_status(
                    conversation.id, ConversationStatus.OPEN, now
                )
        await self._live.publish(message_event("message.created", message, conversation, now))
        return message, True


class Sender:
    """Delivers pending outbound messages through the channel connectors."""

    def __init__(
        self,
        *,
        lines: LineRepository,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        messages: MessageRepository,
        connectors: ConnectorRegistry,
        publisher: EventPublisher,
        clock: Clock,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._lines = lines
        self._contacts = contacts
        self._conversations = conversations
        self._messages = messages
        self._connectors = connectors
        self._live = BestEffort(publisher)
        self._clock = clock
        self._max_attempts = max_attempts

    async def attempt(self, message_id: str) -> Message | None:
        """Try to send one message now; None if it is not due or another process holds it."""
        claimed = await self._messages.claim_for_send(message_id, self._clock.now(), LEASE_S)
        if claimed is None:
            return None
        log_ = log.bind(message_id=claimed.id, conversation_id=claimed.conversation_id)
        conversation = await self._conversations.get(claimed.conversation_id)
        try:
            line = await self._lines.get(claimed.line_id)
            contact = await self._contacts.get(conversation.contact_id)
            identity = next((i for i in contact.identities if i.line_id == line.id), None)
            if identity is None:
                raise DeliveryError("the customer has no identity on this line", retryable=False)
            if not identity.reachable:
                raise DeliveryError(
                    "the customer blocked or unsubscribed from this channel", retryable=False
                )
            connector = self._connectors.get(line.kind)
            unanswered = await self._messages.count_sent_since(
                conversation.id, unanswered_since(conversation, self._clock.now())
            )
            last_inbound, answered = None, 0
            if getattr(connector, "needs_last_inbound", False):
                last_inbound = await self._messages.last_inbound(conversation.id)
                if last_inbound is not None:
                    answered = await self._messages.count_sent_since(
                        conversation.id, last_inbound.created_at
                    )
            receipt = await connector.send(
                OutboundTarget(
                    line,
                    conversation,
                    contact,
                    identity.external_id,
                    unanswered,
                    last_inbound=last_inbound,
                    sent_since_last_inbound=answered,
                ),
                claimed,
            )
        except DeliveryError as e:
            return await self._on_error(claimed, conversation.contact_id, e, log_)
        except NotFound as e:
            return await self._on_error(
                claimed, conversation.contact_id, DeliveryError(e.message, retryable=False), log_
            )
        except Exception as e:  # a send boundary: unknown errors retry, the loop keeps serving
            log_.exception("send_crashed")
            return await self._on_error(
                claimed, conversation.contact_id, DeliveryError(str(e), retryable=True), log_
            )
        sent = await self._messages.mark_sent(
            claimed.id, receipt.external_id, self._clock.now(), receipt.extra_external_ids
        )
        log_.info("message_sent", attempts=sent.attempts)
        if sent.sender_id is not None:  # a person's reply, accepted: it counts as a response
            await self._conversations.record_response(sent.conversation_id, self._clock.now())
        await self._publish_status(sent)
        return sent

    async def _on_error(
        self,
        message: Message,
        contact_id: str,
        error: DeliveryError,
        log_: structlog.typing.FilteringBoundLogger,
    ) -> Message:
        now = self._clock.now()
        if error.retryable and message.attempts < self._max_attempts:
            delay = (
                error.retry_after if error.retry_after is not None else backoff_s(message.attempts)
            )
            updated = await self._messages.mark_retry(
                message.id, error.message, now + timedelta(seconds=delay), now
            )
            log_.warning("send_retry", reason=error.message, delay_s=round(delay, 2))
        else:
            updated = await self._messages.mark_failed(message.id, error.message, error.code, now)
            log_.warning("send_failed", reason=error.message)
            if error.contact_unreachable:
                contact = await self._contacts.get(contact_id)
                identity = next(
                    (i for i in contact.identities if i.line_id == message.line_id), None
                )
                line = await self._lines.get(message.line_id)
                if identity is not None:
                    await self._contacts.apply_update(
                        line,
                        ContactUpdate(external_user_id=identity.external_id, reachable=False),
                        now,
                    )
        await self._publish_status(updated)
        return updated

    async def _publish_status(self, message: Message) -> None:
        async def build() -> Event:
            conversation = await self._conversations.get(message.conversation_id)
            return status_event(message, conversation, self._clock.now())

        await self._live.announce(build, "message.status")

    async def drain(self, limit: int = 100) -> int:
        """Send every due message (the worker calls this periodically and at start)."""
        due = await self._messages.due_outbound(self._clock.now(), limit)
        results = await asyncio.gather(*(self.attempt(m.id) for m in due))
        return sum(1 for r in results if r is not None)
