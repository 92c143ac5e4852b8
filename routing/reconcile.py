"""Reconciliation: rebuild the Redis view (holds, loads, capacities, presence) from MongoDB.

Run periodically by the worker, and by any part that finds Redis without its state (a
restarted or flushed Redis answers ``not_ready``).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from inbox.domain.clock import Clock
from inbox.domain.ports import ConversationRepository, PresenceRepository
from routing.config import RouterConfig, now_ms, stale_before_ms
from routing.pool import OperatorPool
from routing.state import RoutingState

log = structlog.get_logger(__name__)


@dataclass(kw_only=True, eq=False)
class Reconciler:
    """Makes Redis agree with MongoDB, the source of truth."""

    state: RoutingState
    pool: OperatorPool
    presence: PresenceRepository
    conversations: ConversationRepository
    clock: Clock
    config: RouterConfig

    async def ensure_ready(self) -> None:
        """Rebuild first if Redis lost its state."""
        if not await self.state.ready():
            await self.reconcile()

    async def reconcile(self) -> int:
        """Rebuild the Redis view from MongoDB; returns how many holds it fixed."""
        await self.pool.push_again()
        stored = await self.presence.all()
        await self.state.fill_presence(
            {op: p.value for op, (p, _) in stored.items()}, now_ms(self.clock)
        )
        read_ms = now_ms(self.clock)
        waiting = await self.conversations.queue(limit=100_000)
        await self.state.enqueue_many(
            [
                (
                    c.line_id,
                    c.id,
                    self.state.queue_score(
                        c.priority, int((c.queued_at or c.created_at).timestamp() * 1000)
                    ),
                )
                for c in waiting
            ]
        )
        truth = await self.conversations.assignments()
        fixed = await self.state.reconcile(
            truth,
            now_ms=now_ms(self.clock),
            stale_before_ms=stale_before_ms(self.clock, self.config),
            read_ms=read_ms,
        )
        if fixed:
            log.warning("routing_reconciled", fixed=fixed)
        return fixed
