"""Ingest of what follows a stored message: reactions, unsends, read receipts, echoes.

Called by :class:`inbox.services.ingest.Ingest` in phase 1 (before the webhook answers).
Each returns the live events to publish; a target the hub does not know (a reaction to a
message from before the line existed, a receipt that overtook its message) is logged and
acknowledged, never an error.

Echoes are the platform's copies of messages the business sent: from the hub itself (the
copy is already stored under the id the Send API returned, or is being sent right now)
or typed by a person in the platform's own app, stored as an outbound message "sent
outside the hub" that is never sent again.
"""

from __future__ import annotations

import structlog

from inbox.domain.clock import Clock
from inbox.domain.events import Event, message_event, status_event
from inbox.domain.inbound import InboundMessage, MessageDeleted, ReactionUpdate, ReadUpTo
from inbox.domain.models import DeliveryStatus, Direction, Line, Message
from inbox.domain.ports import (
    ContactRepository,
    ConversationRepository,
    MessageMarks,
    MessageRepository,
)

log = structlog.get_logger(__name__)


def _same_content(echo: InboundMessage, ours: Message) -> bool:
    """Whether an echo can be a part of our message (a split text, or one of its files)."""
    if echo.text:
        return bool(ours.text) and echo.text.strip() in (ours.text or "")
    return bool(ours.attachments)


class Marks:
    def __init__(
        self,
        *,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        messages: MessageRepository,
        marks: MessageMarks,
        clock: Clock,
    ) -> None:
        self._messages = messages
        self._contacts = contacts
        self._conversations = conversations
        self._marks = marks
        self._clock = clock

    async def apply(
        self, line: Line, event: InboundMessage | ReactionUpdate | MessageDeleted | ReadUpTo
    ) -> list[Event]:
        """Apply one event (an echo, a reaction, an unsend, a read receipt)."""
        if isinstance(event, InboundMessage):
            return await self.echo(line, event)
        if isinstance(event, ReactionUpdate):
            return await self.reaction(line, event)
        if isinstance(event, MessageDeleted):
            return await self.deletion(line, event)
        return await self.read(line, event)

    async def reaction(self, line: Line, update: ReactionUpdate) -> list[Event]:
        now = self._clock.now()
        message = await self._marks.set_reaction(
            line.id, update.external_id, update.external_user_id, update.emoji, update.at or now
        )
        if message is None:
            log.info("reaction_target_unknown", line_id=line.id, external_id=update.external_id)
            return []
        conversation = await self._conversations.get(message.conversation_id)
        log.info("reaction_applied", line_id=line.id, message_id=message.id)
        return [message_event("message.updated", message, conversation, now)]

    async def deletion(self, line: Line, update: MessageDeleted) -> list[Event]:
        now = self._clock.now()
        message = await self._marks.mark_deleted(line.id, update.external_id, update.at or now)
        if message is None:
            log.info("unsend_not_applied", line_id=line.id, external_id=update.external_id)
            return []
        conversation = await self._conversations.get(message.conversation_id)
        log.info("message_unsent", line_id=line.id, message_id=message.id)
        return [message_event("message.updated", message, conversation, now)]

    async def read(self, line: Line, update: ReadUpTo) -> list[Event]:
        now = self._clock.now()
        target = (
            await self._marks.find_external(line.id, update.external_id)
            if update.external_id
            else None
        )
        if target is None:
            log.info("read_target_unknown", line_id=line.id, external_id=update.external_id)
            return []
        until = max(
            (t for t in (target.sent_at or target.created_at, update.watermark) if t), default=now
        )
        moved = await self._marks.mark_read_up_to(target.conversation_id, until)
        if not moved:
            return []
        conversation = await self._conversations.get(target.conversation_id)
        return [status_event(m, conversation, now) for m in moved]

    async def echo(self, line: Line, inbound: InboundMessage) -> list[Event]:
        now = self._clock.now()
        if await self._marks.find_external(line.id, inbound.external_id) is not None:
            log.info("echo_of_known_message", line_id=line.id)
            return []
        contact = await self._contacts.find_by_identity(line.id, inbound.external_user_id)
        if contact is None:
            # An echo never opens a conversation: the customer writes first on Instagram.
            log.info("echo_for_unknown_customer", line_id=line.id)
            return []
        thread = await self._conversations.thread(line, contact, now)
        conversation = thread.conversation
        flying = await self._marks.in_flight(conversation.id, now)
        if any(_same_content(inbound, m) for m in flying):
            # The echo overtook the Send API's answer: the hub's copy names it shortly.
            log.info("echo_of_send_in_flight", line_id=line.id, conversation_id=conversation.id)
            return []
        message = Message(
            conversation_id=conversation.id,
            line_id=line.id,
            channel=line.kind,
            direction=Direction.OUT,
            sender_id=None,
            text=inbound.text,
            attachments=inbound.attachments,
            external_id=inbound.external_id,
            reply_to_external_id=inbound.reply_to_external_id,
            status=DeliveryStatus.SENT,
            created_at=now,
            sent_at=inbound.sent_at or now,
            sent_outside=True,
        )
        stored, inserted = await self._messages.insert(message)
        if not inserted:
            return []
        await self._conversations.record_outbound(conversation.id, now, stored.text or "")
        # written by a person in the platform's own app and already delivered: a response
        await self._conversations.record_response(conversation.id, now)
        conversation = await self._conversations.get(conversation.id)
        log.info("echo_stored", line_id=line.id, conversation_id=conversation.id)
        return [message_event("message.created", stored, conversation, now)]
