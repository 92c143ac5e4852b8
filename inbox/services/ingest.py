"""Ingest: make what a connector parsed durable, then tell the rest of the hub.

Two phases, split so the webhook can answer as soon as the data is safe:

1. :meth:`Ingest.persist` runs before the HTTP answer. It stores each inbound message
   idempotently (unique line + external id), threads it into a conversation, applies
   delivery statuses and contact updates. If it raises, the platform gets a non-2xx and
   retries; nothing half-done is lost because every write is idempotent.
2. :meth:`Ingest.follow_up` runs after the answer: publishes live events and runs the
   post-ingest hooks (router, CRM). A message whose hooks have not finished keeps
   ``hooks_done: false``; a replayed delivery or the worker's :meth:`Ingest.heal` sweep
   runs them again, so a crash between the phases loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from inbox.domain.clock import Clock
from inbox.domain.events import (
    Event,
    MessageStored,
    conversation_event,
    message_event,
    status_event,
)
from inbox.domain.inbound import ContactUpdate, Ignored, InboundEvent, InboundMessage, StatusUpdate
from inbox.domain.models import DeliveryStatus, Direction, Line, Message
from inbox.domain.ports import (
    ContactRepository,
    ConversationRepository,
    EventPublisher,
    IngestHook,
    LineRepository,
    MessageMarks,
    MessageRepository,
)
from inbox.services.live import BestEffort
from inbox.services.mail_threads import MailThreader
from inbox.services.marks import Marks

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Persisted:
    """What phase 1 stored, and what phase 2 still has to do about it."""

    stored: list[MessageStored] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    duplicates: int = 0
    ignored: int = 0


def preview_of(message: Message) -> str:
    if message.text:
        return message.text
    if message.attachments:
        first = message.attachments[0]
        return f"[{first.kind.value}] {first.name or ''}".strip()
    return ""


class Ingest:
    def __init__(
        self,
        *,
        lines: LineRepository,
        contacts: ContactRepository,
        conversations: ConversationRepository,
        messages: MessageRepository,
        publisher: EventPublisher,
        hooks: Sequence[IngestHook],
        clock: Clock,
        marks: MessageMarks | None = None,
        mail: MailThreader | None = None,
    ) -> None:
        self._lines = lines
        self._contacts = contacts
        self._conversations = conversations
        self._messages = messages
        self._publisher = publisher
        self._hooks = list(hooks)
        self._clock = clock
        self._marks = (
            Marks(
                contacts=contacts,
                conversations=conversations,
                messages=messages,
                marks=marks,
                clock=clock,
            )
            if marks is not None
            else None
        )
        self._mail = mail  # email threading (several conversations per customer)

    def add_hook(self, hook: IngestHook) -> None:
        self._hooks.append(hook)

    # ------------------------------------------------------------ phase 1

    async def persist(self, line: Line, events: Sequence[InboundEvent]) -> Persisted:
        out = Persisted()
        for event in events:
            if isinstance(event, InboundMessage) and not event.echo:
                # Every connector's messages get the platform's own limits here, in one place.
                await self._persist_message(line, event.fit(line.kind), out)
            elif isinstance(event, StatusUpdate):
                await self._persist_status(line, event, out)
            elif isinstance(event, ContactUpdate):
                await self._persist_contact(line, event.fit(line.kind), out)
            elif isinstance(event, Ignored):
                out.ignored += 1
                log.info("event_ignored", line_id=line.id, reason=event.reason, kind=event.kind)
            elif self._marks is not None:  # echoes, reactions, unsends, read receipts
                out.events.extend(await self._marks.apply(line, event))
            else:
                out.ignored += 1
                log.info("event_ignored", line_id=line.id, reason="no store for message marks")
        return out

    async def _persist_message(self, line: Line, inbound: InboundMessage, out: Persisted) -> None:
        now = self._clock.now()
        if inbound.mail is not None and inbound.mail.automatic:
            await self._persist_automatic(line, inbound, out)
            return
        existing = await self._messages.get_by_external(line.id, inbound.external_id)
        if existing is None:
            contact, new_contact = await self._contacts.identify(line, inbound, now)
            pending = next(
                (
                    i.pending_source
                    for i in contact.identities
                    if i.line_id == line.id and i.external_id == inbound.external_user_id
                ),
                None,
            )
            if inbound.thread is not None and self._mail is not None:
                thread = await self._mail.place(line, contact, inbound, now)
            else:
                thread = await self._conversations.thread(
                    line, contact, now, source=inbound.source or pending, subject=inbound.subject
                )
            message = customer_message(line, inbound, thread.conversation.id, contact.id, now)
            try:
                stored, inserted = await self._messages.insert(message)
            except Exception:
                # Nothing half-made: a contact and conversation made for this message alone
                # would sit in the queue, empty, and be assigned to an operator.
                await self._undo(thread.conversation.id, thread.created, contact.id, new_contact)
                raise
            if pending is not None:
                # Like Telegram's /start payload: it names the conversation this message
                # starts; for a conversation already open it is dropped. Consumed only
                # once the message is in, so a failed delivery's retry still has it.
                await self._contacts.clear_pending_source(
                    line.id, inbound.external_user_id, pending
                )
            if thread.woken:  # set once, by the delivery that woke it (also if it lost a race)
                woken = thread.conversation
                out.events.append(conversation_event("conversation.status", woken, now))
                log.info("snooze_woken_by_customer", conversation_id=woken.id, line_id=line.id)
            if inserted:
                conversation = await self._conversations.record_inbound(
                    thread.conversation.id, now, preview_of(stored)
                )
                first = conversation.first_customer_message_at == now and thread.created
                out.stored.append(
                    MessageStored(
                        message=stored,
                        conversation=conversation,
                        contact=contact,
                        line=line,
                        new_conversation=thread.created,
                        reopened=thread.reopened,
                        first_message=first,
                    )
                )
                if thread.created or thread.reopened:
                    kind = "conversation.created" if thread.created else "conversation.updated"
                    out.events.append(conversation_event(kind, conversation, now))
                out.events.append(message_event("message.created", stored, conversation, now))
                log.info(
                    "message_stored",
                    line_id=line.id,
                    conversation_id=conversation.id,
                    message_id=stored.id,
                    new_conversation=thread.created,
                    reopened=thread.reopened,
                )
                return
            existing = stored  # lost a race with a concurrent delivery of the same message
        await self._on_duplicate(line, inbound, existing, out)

    async def _undo(self, conversation_id: str, created: bool, contact_id: str, new: bool) -> None:
        try:
            if created:
                await self._conversations.discard_if_empty(conversation_id)
            if new:
                await self._contacts.discard_if_unused(contact_id)
        except Exception:  # the store is failing anyway: the platform's retry reuses them
            log.exception("ingest_undo_failed", conversation_id=conversation_id)

    async def _persist_automatic(self, line: Line, inbound: InboundMessage, out: Persisted) -> None:
        """An auto-reply or list mail: kept in the conversation it threads into, never
        opening, reopening or routing one, never unread, never answered."""
        now = self._clock.now()
        if await self._messages.get_by_external(line.id, inbound.external_id) is not None:
            out.duplicates += 1
            return
        contact = await self._contacts.find_by_identity(line.id, inbound.external_user_id)
        conversation = None
        if contact is not None and inbound.thread is not None and self._mail is not None:
            conversation = await self._mail.find(line, contact, inbound.thread, now)
        if contact is None or conversation is None:
            out.ignored += 1
            log.info(
                "mail_automatic_not_threaded",
                line_id=line.id,
                reason=inbound.mail.automatic if inbound.mail else None,
            )
            return
        message = customer_message(line, inbound, conversation.id, contact.id, now)
        stored, inserted = await self._messages.insert(message)
        if inserted:
            await self._messages.mark_hooks_done(stored.id)  # no router, CRM or bot for it
            out.events.append(message_event("message.created", stored, conversation, now))
            log.info("mail_automatic_stored", line_id=line.id, conversation_id=conversation.id)
        else:
            out.duplicates += 1

    async def _on_duplicate(
        self, line: Line, inbound: InboundMessage, existing: Message, out: Persisted
    ) -> None:
        now = self._clock.now()
        if inbound.edited_at is not None:
            edited = await self._messages.apply_edit(
                line.id, inbound.external_id, inbound.text, inbound.edited_at
            )
            if edited is not None:
                conversation = await self._conversations.get(edited.conversation_id)
                out.events.append(message_event("message.updated", edited, conversation, now))
                log.info("message_edited", line_id=line.id, message_id=edited.id)
                return
        out.duplicates += 1
        log.info("message_duplicate", line_id=line.id, message_id=existing.id)
        if not await self._messages.hooks_done(existing.id):
            # The first delivery crashed before its follow-up finished: finish it now.
            out.stored.append(await self._restore(existing, line))

    async def _restore(self, message: Message, line: Line) -> MessageStored:
        conversation = await self._conversations.record_inbound(
            message.conversation_id, message.created_at, preview_of(message), count_unread=False
        )
        contact = await self._contacts.get(message.sender_id or "")
        created = conversation.first_customer_message_at == message.created_at
        return MessageStored(
            message=message,
            conversation=conversation,
            contact=contact,
            line=line,
            new_conversation=created and conversation.reopen_count == 0,
            first_message=created,
        )

    async def _persist_status(self, line: Line, update: StatusUpdate, out: Persisted) -> None:
        at = update.at or self._clock.now()
        message = await self._messages.update_status_by_external(
            line.id, update.external_id, update.status, at, update.error
        )
        if message is None:
            # Unknown message, or a status that is not a step forward (e.g. a late
            # "delivered" after "read"): logged and acknowledged, never an error.
            log.info(
                "status_not_applied",
                line_id=line.id,
                external_id=update.external_id,
                status=update.status.value,
            )
            return
        conversation = await self._conversations.get(message.conversation_id)
        out.events.append(status_event(message, conversation, self._clock.now()))

    async def _persist_contact(self, line: Line, update: ContactUpdate, out: Persisted) -> None:
        now = self._clock.now()
        contact = await self._contacts.apply_update(line, update, now)
        if contact is None:
            log.info("contact_update_unknown", line_id=line.id)
            return
        out.events.append(
            Event(
                type="contact.updated",
                at=now,
                line_id=line.id,
                team_id=line.routing.team_id,  # its managers', not every manager's
                data={"contact": contact.model_dump(mode="json")},
            )
        )

    # ------------------------------------------------------------ phase 2

    async def follow_up(self, persisted: Persisted) -> None:
        """Publish live events, then run hooks; each message is marked done when all ran."""
        for event in persisted.events:
            await self._safe_publish(event)
        for stored in persisted.stored:
            await self.run_hooks(stored)

    async def run_hooks(self, stored: MessageStored) -> None:
        ok = True
        for hook in self._hooks:
            try:
                await hook.on_message_stored(stored)
            except Exception:  # a hook boundary: one failing plugin must not stop the rest
                ok = False
                log.exception(
                    "ingest_hook_failed",
                    hook=type(hook).__name__,
                    message_id=stored.message.id,
                    conversation_id=stored.conversation.id,
                )
        if ok:
            await self._messages.mark_hooks_done(stored.message.id)

    async def heal(self, older_than_s: float = 30, limit: int = 100) -> int:
        """Re-run hooks of messages whose follow-up never finished (a crash, a restart)."""
        cutoff = self._clock.now() - timedelta(seconds=older_than_s)
        pending = await self._messages.hooks_pending(cutoff, limit)
        for message in pending:
            line = await self._lines.get(message.line_id)
            await self.run_hooks(await self._restore(message, line))
        if pending:
            log.info("ingest_healed", count=len(pending))
        return len(pending)

    async def _safe_publish(self, event: Event) -> None:
        await BestEffort(self._publisher).publish(event)


def customer_message(
    line: Line, inbound: InboundMessage, conversation_id: str, sender_id: str, now: datetime
) -> Message:
    """The stored form of a customer's message, before its insert."""
    return Message(
        conversation_id=conversation_id,
        line_id=line.id,
        channel=line.kind,
        direction=Direction.IN,
        sender_id=sender_id,
        text=inbound.text,
        attachments=inbound.attachments,
        external_id=inbound.external_id,
        reply_to_external_id=inbound.reply_to_external_id,
        status=DeliveryStatus.RECEIVED,
        created_at=now,
        sent_at=inbound.sent_at,
        edited_at=inbound.edited_at,
        payload=inbound.payload,
        mail=inbound.mail,
    )
