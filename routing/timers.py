"""Timers derived from stored timestamps, checked by the worker's sweep.

Nothing is held in memory: the no-reply deadline is ``reply_due_at`` on the conversation,
the offline grace period runs from the ``since`` of the stored presence, and opening hours
are evaluated against the clock. A restarted worker continues where the last one stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from inbox.domain.errors import Conflict
from inbox.domain.events import conversation_event
from inbox.domain.models import Conversation, ConversationStatus, Presence, RoutingStrategy
from routing import guard, policies

if TYPE_CHECKING:
    from routing.router import Router

log = structlog.get_logger(__name__)


async def offline_grace(router: Router) -> int:
    """Conversations of operators offline longer than their line's grace go back to routing."""
    now = router.clock.now()
    loads = await router.state.loads()
    released = 0
    for op, (presence, since) in (await router.presence.all()).items():
        if presence is not Presence.OFFLINE or loads.get(op, 0) <= 0:
            continue
        held = await router.conversations.list(
            assignee_id=op, status=ConversationStatus.OPEN, limit=500
        )
        for conv in held:
            try:
                released += await _grace_one(router, conv, op, since, now)
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


async def _grace_one(
    router: Router, conv: Conversation, op: str, since: datetime, now: datetime
) -> int:
    line = await router.line(conv.line_id)
    if not policies.grace_over(line.routing, since, now):
        return 0
    try:
        moved = await router._release(conv.id, reason="offline", conv=conv)
    except Conflict:
        return 0
    await router.route_conversation(moved, exclude=frozenset({op}))
    return 1


async def no_reply(router: Router, limit: int = 100) -> int:
    """Pass conversations on when the assignee did not answer in time."""
    now = router.clock.now()
    handled = 0
    for conv in await router.conversations.reply_overdue(now, limit):
        if policies.answered_since_assignment(conv):
            await router.conversations.set_reply_due(conv.id, None)
            continue
        try:
            await _pass_on(router, conv)
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


async def _pass_on(router: Router, conv: Conversation) -> None:
    line = await router.line(conv.line_id)
    rules = line.routing
    prev = conv.assignee_id
    assert prev is not None
    if policies.out_of_hops(conv.hops, rules):
        escalated = await router._release(
            conv.id,
            reason="no_reply",
            note="out of hops",
            needs_attention=True,
            conv=conv,
        )
        await _escalate(router, escalated, prev)
        return
    decision = None
    if rules.strategy is not RoutingStrategy.MANUAL:
        decision = await router.choose(conv, line, exclude=frozenset({prev}))
    if decision is not None and decision.status == "ok":
        await router._commit(conv, to=decision.operator, reason="no_reply", line=line)
        await router.drain()  # the previous operator has room again
        return
    if decision is not None and decision.status == "conflict":
        return
    # nobody else can take it now: it waits in the queue (the hop counts toward max_hops)
    await router._release(conv.id, reason="no_reply", conv=conv)


async def _escalate(router: Router, conv: Conversation, prev: str) -> None:
    manager = None
    team = conv.team_id
    if team and (await router.line(conv.line_id)).routing.escalate_to_manager:
        try:
            manager = (await router.teams.get(team)).manager_id
        except Exception:  # a missing team must not stop the sweep
            log.exception("routing_team_lookup_failed", team_id=team)
    log.warning(
        "conversation_escalated", conversation_id=conv.id, manager_id=manager, last_operator=prev
    )
    await router._publish(
        conversation_event("conversation.escalated", conv, router.clock.now(), manager_id=manager)
    )
