"""Timers derived from stored timestamps, checked by the worker's sweep.

Nothing is held in memory: the no-reply deadline is ``reply_due_at`` on the conversation,
the offline grace period runs from the ``since`` of the stored presence, and opening hours
are evaluated against the clock. A restarted worker continues where the last one stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict
from inbox.domain.events import conversation_event
from inbox.domain.models import Conversation, ConversationStatus, Presence, RoutingStrategy
from inbox.domain.ports import (
    ConversationRepository,
    EventPublisher,
    PresenceRepository,
    TeamRepository,
)
from routing import guard, policies
from routing.assignments import Assignments
from routing.decision import Decider
from routing.drain import Drain
from routing.pool import OperatorPool
from routing.publish import publish
from routing.state import HoldsState

log = structlog.get_logger(__name__)


@dataclass(kw_only=True, eq=False)
class Timers:
    """Offline grace and no-reply reassignment (presence timeouts: :mod:`routing.presence`)."""

    state: HoldsState
    pool: OperatorPool
    decider: Decider
    assignments: Assignments
    drain: Drain
    conversations: ConversationRepository
    presence: PresenceRepository
    teams: TeamRepository
    publisher: EventPublisher
    clock: Clock

    async def offline_grace(self) -> int:
        """Conversations of operators offline longer than their line's grace go back."""
        now = self.clock.now()
        loads = await self.state.loads()
        released = 0
        for op, (presence, since) in (await self.presence.all()).items():
            if presence is not Presence.OFFLINE or loads.get(op, 0) <= 0:
                continue
            held = await self.conversations.list(
                assignee_id=op, status=ConversationStatus.OPEN, limit=500
            )
            for conv in held:
                try:
                    released += await self._grace_one(conv, op, since, now)
                except guard.OUTAGE:
                    raise
                except Exception:  # one line's bad data must not stop the sweep for the others
                    log.exception(
                        "routing_timer_conversation_failed",
                        timer="offline_grace",
                        line_id=conv.line_id,
                        conversation_id=conv.id,
                    )
        return released

    async def _grace_one(self, conv: Conversation, op: str, since: datetime, now: datetime) -> int:
        line = await self.pool.line(conv.line_id)
        if not policies.grace_over(line.routing, since, now):
            return 0
        try:
            moved = await self.assignments.release(conv, reason="offline")
        except Conflict:
            return 0
        await self.drain()  # the operator's slot is free (for when they come back)
        await self.decider.route(moved, exclude=frozenset({op}))
        return 1

    async def no_reply(self, limit: int = 100) -> int:
        """Pass conversations on when the assignee did not answer in time."""
        now = self.clock.now()
        handled = 0
        for conv in await self.conversations.reply_overdue(now, limit):
            if policies.answered_since_assignment(conv):
                await self.conversations.set_reply_due(conv.id, None)
                continue
            try:
                await self._pass_on(conv)
            except Conflict:
                continue
            except guard.OUTAGE:
                raise
            except Exception:  # one line's bad data must not stop the sweep for the others
                log.exception(
                    "routing_timer_conversation_failed",
                    timer="no_reply",
                    line_id=conv.line_id,
                    conversation_id=conv.id,
                )
                continue
            handled += 1
        return handled

    async def _pass_on(self, conv: Conversation) -> None:
        line = await self.pool.line(conv.line_id)
        rules = line.routing
        prev = conv.assignee_id
        assert prev is not None
        if policies.out_of_hops(conv.hops, rules):
            escalated = await self.assignments.release(
                conv, reason="no_reply", note="out of hops", needs_attention=True
            )
            await self.drain()
            await self._escalate(escalated, prev)
            return
        decision = None
        if rules.strategy is not RoutingStrategy.MANUAL:
            decision = await self.decider.choose(conv, line, exclude=frozenset({prev}))
        if decision is not None and decision.status == "ok":
            await self.assignments.commit(conv, to=decision.operator, reason="no_reply", line=line)
            await self.drain()  # the previous operator has room again
            return
        if decision is not None and decision.status == "conflict":
            return
        # nobody else can take it now: it waits in the queue (the hop counts toward max_hops)
        await self.assignments.release(conv, reason="no_reply")
        await self.drain()

    async def _escalate(self, conv: Conversation, prev: str) -> None:
        manager = None
        team = conv.team_id
        if team and (await self.pool.line(conv.line_id)).routing.escalate_to_manager:
            try:
                manager = (await self.teams.get(team)).manager_id
            except Exception:  # a missing team must not stop the sweep
                log.exception("routing_team_lookup_failed", team_id=team)
        log.warning(
            "conversation_escalated",
            conversation_id=conv.id,
            manager_id=manager,
            last_operator=prev,
        )
        await publish(
            self.publisher,
            conversation_event(
                "conversation.escalated", conv, self.clock.now(), manager_id=manager
            ),
        )
