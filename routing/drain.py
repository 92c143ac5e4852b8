"""The queue drain: hand queued conversations to online operators with free slots.

A queued conversation belongs to a pool: its team (``conversation.team_id``, else the
line's routing team), or everyone when neither is set. The drain reads the head of every
routable line's queue (up to ``drain_batch`` per line), merges them oldest first (priority
first) and offers each only while its pool has an online operator with a free slot. A pool
nobody can serve is passed over instead of filling the batch, so 46 conversations of a team
with nobody online do not keep another team's free operator waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import ConversationStatus, Presence
from routing import guard

if TYPE_CHECKING:
    from routing.router import Router

log = structlog.get_logger(__name__)


async def free_operators(router: Router) -> dict[str, tuple[tuple[str, ...], int]]:
    """Online operators with room left: their teams and how many more they can take."""
    pool = await router.operator_pool()
    snap = await router.state.snapshot(list(pool))
    online = Presence.ONLINE.value
    free = {}
    for c in pool.values():
        room = c.max_open - snap.load.get(c.id, 0)
        if room > 0 and snap.presence.get(c.id) == online:
            free[c.id] = (tuple(c.teams), room)
    return free


def _served(free: dict[str, tuple[tuple[str, ...], int]], team: str | None) -> bool:
    return any(team is None or team in teams for teams, _ in free.values())


async def drain(router: Router, limit: int | None = None) -> int:
    """Assign queued conversations while their pool has a free operator; returns how many."""
    free = await free_operators(router)
    if not free:
        return 0
    assigned = 0
    heads = await router.state.queue_heads(
        await router.routable_lines(), limit or router.config.drain_batch
    )
    for line_id, conv_id in heads:
        if not free:
            break
        try:
            line = await router.line(line_id)
            try:
                conv = await router.conversations.get(conv_id)
            except NotFound:
                conv = None
            if (
                conv is None
                or conv.assignee_id is not None
                or conv.needs_attention
                or conv.status is not ConversationStatus.OPEN
            ):
                await router.state.dequeue(line_id, conv_id)  # a stale entry
                continue
            if not _served(free, conv.team_id or line.routing.team_id):
                continue  # its team has nobody free: the next pool's oldest goes first
            try:
                routed = await router.route_conversation(conv)
            except Conflict:
                continue
        except guard.OUTAGE:
            raise
        except Exception:  # one line's bad data must not stop the drain for the others
            log.exception("routing_drain_failed", line_id=line_id, conversation_id=conv_id)
            continue
        taker = routed.assignee_id
        if taker is not None:
            assigned += 1
            if taker in free:
                teams, room = free.pop(taker)
                if room > 1:
                    free[taker] = (teams, room - 1)
    return assigned
