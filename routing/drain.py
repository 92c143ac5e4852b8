"""The queue drain: hand queued conversations to online operators with free slots.

A queued conversation belongs to a pool: its team (``conversation.team_id``, else the
line's routing team), or everyone when neither is set. The drain reads the head of every
routable line's queue (up to ``drain_batch`` per line), merges them oldest first (priority
first) and offers each only while its pool has an online operator with a free slot. A pool
nobody can serve is passed over instead of filling the batch, so 46 conversations of a team
with nobody online do not keep another team's free operator waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import ConversationStatus
from inbox.domain.ports import ConversationRepository
from routing import guard
from routing.config import RouterConfig
from routing.decision import Decider
from routing.pool import OperatorPool
from routing.state import QueueState

log = structlog.get_logger(__name__)

Free = dict[str, tuple[tuple[str, ...], int]]  # operator -> (teams, slots left)


def _served(free: Free, team: str | None) -> bool:
    return any(team is None or team in teams for teams, _ in free.values())


@dataclass(kw_only=True, eq=False)
class Drain:
    """Assigns queued conversations, oldest first per pool."""

    state: QueueState
    pool: OperatorPool
    decider: Decider
    conversations: ConversationRepository
    config: RouterConfig

    async def __call__(self, limit: int | None = None) -> int:
        """Assign queued conversations while their pool has a free operator; how many."""
        free = await self.pool.free()
        if not free:
            return 0
        assigned = 0
        heads = await self.state.queue_heads(
            await self.pool.routable_lines(), limit or self.config.drain_batch
        )
        for line_id, conv_id in heads:
            if not free:
                break
            try:
                taker = await self._offer(line_id, conv_id, free)
            except guard.OUTAGE:
                raise
            except Exception:  # one line's bad data must not stop the drain for the others
                log.exception("routing_drain_failed", line_id=line_id, conversation_id=conv_id)
                continue
            if taker is not None:
                assigned += 1
                if taker in free:
                    teams, room = free.pop(taker)
                    if room > 1:
                        free[taker] = (teams, room - 1)
        return assigned

    async def _offer(self, line_id: str, conv_id: str, free: Free) -> str | None:
        """Route one queued conversation if its pool has someone free; who took it."""
        line = await self.pool.line(line_id)
        try:
            conv = await self.conversations.get(conv_id)
        except NotFound:
            conv = None
        if (
            conv is None
            or conv.assignee_id is not None
            or conv.needs_attention
            or conv.status is not ConversationStatus.OPEN
        ):
            await self.state.dequeue(line_id, conv_id)  # a stale entry
            return None
        if not _served(free, conv.team_id or line.routing.team_id):
            return None  # its team has nobody free: the next pool's oldest goes first
        try:
            routed = await self.decider.route(conv)
        except Conflict:
            return None
        return routed.assignee_id
