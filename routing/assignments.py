"""Assignments: the one path by which a conversation changes hands.

1. :meth:`Assignments.take` runs the assign script: it takes the first candidate still
   online and below capacity, checks the conversation is still held by whom the caller
   saw, and moves the capacity counters, all in one step (a bare Redis is rebuilt first);
2. :meth:`Assignments.commit` writes that change to MongoDB with a conditional update
   (``set_assignee(expected=...)``) recording a hop; when it loses a race the Redis hold
   is put back to what MongoDB says (the undo) and ``Conflict`` is raised;
3. :meth:`Assignments.release` frees the hold and commits "nobody".

Nothing here routes or drains: the caller decides what happens with the freed capacity.
A crash between 1 and 2 leaves a Redis hold that MongoDB never saw: after a grace period
the next decision or the periodic reconciliation drops it and recounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict, NotFound
from inbox.domain.events import conversation_event
from inbox.domain.models import Conversation, ConversationStatus, Hop, Line
from inbox.domain.ports import ConversationRepository, EventPublisher
from routing import policies
from routing.config import RouterConfig, now_ms, stale_before_ms
from routing.pool import OperatorPool
from routing.publish import publish
from routing.reconcile import Reconciler
from routing.state import ANY, Decision, RoutingState

log = structlog.get_logger(__name__)


@dataclass(kw_only=True, eq=False)
class Assignments:
    """Takes, commits, undoes and releases holds; publishes ``conversation.assigned``."""

    state: RoutingState
    pool: OperatorPool
    reconciler: Reconciler
    conversations: ConversationRepository
    publisher: EventPublisher
    clock: Clock
    config: RouterConfig

    async def take(
        self,
        conversation_id: str,
        *,
        expected: str | None,
        candidates: Sequence[str],
        check_capacity: bool,
        check_presence: bool,
    ) -> Decision:
        """The atomic step; a Redis without its state is rebuilt first."""
        for _ in range(2):
            decision = await self.state.assign(
                conversation_id,
                expected=expected,
                candidates=candidates,
                now_ms=now_ms(self.clock),
                stale_before_ms=stale_before_ms(self.clock, self.config),
                check_capacity=check_capacity,
                check_presence=check_presence,
            )
            if decision.status != "not_ready":
                return decision
            await self.reconciler.reconcile()
        return decision

    async def commit(
        self,
        conv: Conversation,
        *,
        to: str | None,
        reason: str,
        by: str | None = None,
        note: str | None = None,
        team_id: str | None = None,
        needs_attention: bool = False,
        line: Line | None = None,
    ) -> Conversation:
        """Write the change Redis already made to MongoDB, or undo it when MongoDB disagrees."""
        now = self.clock.now()
        line = line or await self.pool.line(conv.line_id)
        hop = Hop(
            at=now,
            from_operator=conv.assignee_id,
            to_operator=to,
            to_team=team_id,
            reason=reason,
            by=by,
            note=note,
        )
        changed = await self.conversations.set_assignee(
            conv.id,
            expected=conv.assignee_id,
            assignee=to,
            team_id=team_id if team_id is not None else conv.team_id,
            hop=hop,
            needs_attention=needs_attention,
            reply_due_at=policies.reply_due(conv, line.routing, now) if to else None,
        )
        if changed is None:
            truth = await self.conversations.get(conv.id)
            holder = truth.assignee_id if truth.status is not ConversationStatus.RESOLVED else None
            await self.state.move(conv.id, from_op=to, to_op=holder, now_ms=now_ms(self.clock))
            raise Conflict("the conversation changed meanwhile", code="assignment_conflict")
        if to is not None:
            await self.state.dequeue(conv.line_id, conv.id)
        log.info(
            "conversation_assigned",
            conversation_id=conv.id,
            from_operator=conv.assignee_id,
            to_operator=to,
            reason=reason,
        )
        await publish(
            self.publisher,
            conversation_event(
                "conversation.assigned", changed, now, hop=hop.model_dump(mode="json")
            ),
        )
        return changed

    async def release(
        self,
        conv: Conversation,
        *,
        reason: str,
        by: str | None = None,
        note: str | None = None,
        team_id: str | None = None,
        needs_attention: bool = False,
    ) -> Conversation:
        """Nobody holds ``conv`` any more (its operator's slot is free: the caller drains)."""
        await self.state.move(
            conv.id, from_op=conv.assignee_id, to_op=None, now_ms=now_ms(self.clock)
        )
        return await self.commit(
            conv,
            to=None,
            reason=reason,
            by=by,
            note=note,
            team_id=team_id,
            needs_attention=needs_attention,
        )

    async def hand_to(
        self,
        conversation_id: str,
        operator_id: str,
        *,
        reason: str,
        by: str | None,
        note: str | None = None,
        team_id: str | None = None,
        only_unassigned: bool = False,
    ) -> tuple[Conversation, str | None]:
        """A person gives the conversation to ``operator_id``: the changed conversation and
        whom it was taken from (their slot is free: the caller drains)."""
        conv = await self.conversations.get(conversation_id)
        if conv.status is ConversationStatus.RESOLVED:
            raise Conflict("the conversation is resolved", code="conversation_resolved")
        if only_unassigned and conv.assignee_id is not None:
            raise Conflict("the conversation is already assigned", code="already_assigned")
        if conv.assignee_id == operator_id:
            return conv, None
        operator = (await self.pool.candidates(fresh=True)).get(operator_id)
        if operator is None:
            raise NotFound(f"operator {operator_id} not found", code="operator_not_found")
        line = await self.pool.line(conv.line_id)
        decision = await self.take(
            conv.id,
            expected=conv.assignee_id,
            candidates=[operator_id],
            check_capacity=line.routing.respect_capacity,
            check_presence=False,  # a person chose them; capacity still holds
        )
        if decision.status == "conflict":
            raise Conflict("the conversation changed meanwhile", code="assignment_conflict")
        if decision.status != "ok":
            raise Conflict("the operator has no free capacity", code="operator_at_capacity")
        changed = await self.commit(
            conv, to=operator_id, reason=reason, by=by, note=note, team_id=team_id, line=line
        )
        return changed, conv.assignee_id

    async def free_slot(self, conversation_id: str) -> bool:
        """Drop the hold of a resolved conversation (MongoDB keeps the assignee as history);
        True when a slot was freed."""
        if not await self.state.move(
            conversation_id, from_op=ANY, to_op=None, now_ms=now_ms(self.clock)
        ):
            return False
        await self.conversations.set_reply_due(conversation_id, None)
        return True

    async def enqueue(self, conv: Conversation) -> None:
        """Put ``conv`` in its line's queue (oldest and highest priority first)."""
        queued = conv.queued_at or conv.created_at
        score = self.state.queue_score(conv.priority, int(queued.timestamp() * 1000))
        await self.state.enqueue(conv.line_id, conv.id, score)
