"""What routing does when something happened elsewhere: a message stored, a reply sent,
a conversation resolved. Each reaction tolerates a replay (ingest hooks are retried)."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict
from inbox.domain.events import MessageStored
from inbox.domain.models import Contact, Conversation, ConversationStatus, Line
from inbox.domain.ports import ConversationRepository
from routing import policies
from routing.assignments import Assignments
from routing.decision import Decider
from routing.drain import Drain
from routing.pool import OperatorPool


@dataclass(kw_only=True, eq=False)
class Reactions:
    """Routing's side of ingest, replies and resolving."""

    pool: OperatorPool
    decider: Decider
    assignments: Assignments
    drain: Drain
    conversations: ConversationRepository
    clock: Clock

    async def message_stored(self, stored: MessageStored) -> None:
        """Route new and reopened conversations; otherwise set the reply deadline."""
        conv = await self.conversations.get(stored.conversation.id)
        if conv.status is not ConversationStatus.OPEN:
            return
        if conv.assignee_id is None:
            await self.decider.route(conv, stored.contact)
            return
        line = await self.pool.line(conv.line_id)
        if stored.reopened:
            await self._retake(conv, line, stored.contact)
            return
        due = policies.reply_due(conv, line.routing, self.clock.now())
        if due is not None:
            await self.conversations.set_reply_due(conv.id, due, only_if_unset=True)

    async def reopened(self, conv: Conversation, contact: Contact) -> Conversation:
        """A reopen or a snooze's wake outside ingest takes the ingest reopen path."""
        if conv.status is not ConversationStatus.OPEN:
            return conv
        if conv.assignee_id is None:
            return await self.decider.route(conv, contact)
        await self._retake(conv, await self.pool.line(conv.line_id), contact)
        return await self.conversations.get(conv.id)

    async def _retake(self, conv: Conversation, line: Line, contact: Contact) -> None:
        """A reopened conversation goes back to its operator if they can take it now."""
        holder = conv.assignee_id
        assert holder is not None
        decision = await self.assignments.take(
            conv.id,
            expected=holder,
            candidates=[holder],
            check_capacity=line.routing.respect_capacity,
            check_presence=True,
        )
        if decision.status == "ok":
            due = policies.reply_due(conv, line.routing, self.clock.now())
            await self.conversations.set_reply_due(conv.id, due)
            return
        if decision.status == "conflict":
            return  # someone else changed it meanwhile
        try:
            released = await self.assignments.release(conv, reason="released", note="reopened")
        except Conflict:
            return
        await self.decider.route(released, contact)

    async def operator_replied(self, conversation_id: str) -> None:
        """The assignee answered: no no-reply deadline any more."""
        await self.conversations.set_reply_due(conversation_id, None)

    async def resolved(self, conversation_id: str) -> None:
        """Free the capacity slot now (MongoDB keeps the assignee as history)."""
        if await self.assignments.free_slot(conversation_id):
            await self.drain()
