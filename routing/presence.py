"""Operator presence: explicit status plus heartbeats from the inbox.

An explicit status (online, away, offline) is stored in MongoDB (with its ``since``) and
mirrored in Redis. Heartbeats only touch Redis. An operator whose heartbeat is older than
``heartbeat_timeout_s`` becomes ``lost`` (offline in MongoDB: a closed browser); their next
heartbeat brings them back online, while an explicit away or offline stays until changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from inbox.domain.clock import Clock
from inbox.domain.events import Event
from inbox.domain.models import Presence
from inbox.domain.ports import EventPublisher, OperatorRepository, PresenceRepository
from routing.config import RouterConfig, now_ms
from routing.drain import Drain
from routing.pool import OperatorPool
from routing.publish import publish
from routing.state import PresenceState

log = structlog.get_logger(__name__)

LOST = "lost"  # offline because the heartbeats stopped, not by choice


@dataclass(kw_only=True, eq=False)
class PresenceKeeper:
    """Stores presence in MongoDB and Redis; coming online hands out the queue."""

    state: PresenceState
    pool: OperatorPool
    operators: OperatorRepository
    presence: PresenceRepository
    drain: Drain
    publisher: EventPublisher
    clock: Clock
    config: RouterConfig

    async def _store(self, operator_id: str, presence: Presence, redis_value: str) -> None:
        if operator_id not in await self.pool.candidates():
            await self.pool.candidates(fresh=True)  # a new operator: no waiting for the cache
        now = self.clock.now()
        changed = await self.presence.set(operator_id, presence, now)
        await self.state.set_presence(operator_id, redis_value, now_ms(self.clock))
        if changed:
            log.info("operator_presence", operator_id=operator_id, presence=redis_value)
            await publish(
                self.publisher,
                Event(
                    type="presence",
                    at=now,
                    data={"operator_id": operator_id, "status": presence.value},
                ),
            )

    async def set(self, operator_id: str, presence: Presence) -> None:
        """An explicit status; coming online hands out queued conversations at once."""
        await self.operators.get(operator_id)  # NotFound for unknown operators
        await self._store(operator_id, presence, presence.value)
        if presence is Presence.ONLINE:
            await self.drain()

    async def heartbeat(self, operator_id: str) -> None:
        """The inbox is open: keep the operator's presence; a lost operator comes back."""
        current = await self.state.touch(operator_id, now_ms(self.clock))
        if current in (None, LOST):
            await self.operators.get(operator_id)
            await self._store(operator_id, Presence.ONLINE, Presence.ONLINE.value)
            await self.drain()

    async def timeouts(self) -> int:
        """Operators whose heartbeats stopped go offline (``lost``)."""
        limit = now_ms(self.clock) - int(self.config.heartbeat_timeout_s * 1000)
        presence, seen = await self.state.presence_all()
        gone = 0
        for op, value in presence.items():
            if value in (Presence.ONLINE.value, Presence.AWAY.value) and seen.get(op, 0) < limit:
                await self._store(op, Presence.OFFLINE, LOST)
                gone += 1
        return gone
