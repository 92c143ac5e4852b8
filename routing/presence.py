"""Operator presence: explicit status plus heartbeats from the inbox.

An explicit status (online, away, offline) is stored in MongoDB (with its ``since``) and
mirrored in Redis. Heartbeats only touch Redis. An operator whose heartbeat is older than
``heartbeat_timeout_s`` becomes ``lost`` (offline in MongoDB: a closed browser); their next
heartbeat brings them back online, while an explicit away or offline stays until changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from inbox.domain.events import Event
from inbox.domain.models import Presence

if TYPE_CHECKING:
    from routing.router import Router

log = structlog.get_logger(__name__)

LOST = "lost"  # offline because the heartbeats stopped, not by choice


async def _store(router: Router, operator_id: str, presence: Presence, redis_value: str) -> None:
    if operator_id not in await router.operator_pool():
        await router.operator_pool(fresh=True)  # a new operator: no waiting for the cache
    now = router.clock.now()
    changed = await router.presence.set(operator_id, presence, now)
    await router.state.set_presence(operator_id, redis_value, router.now_ms())
    if changed:
        log.info("operator_presence", operator_id=operator_id, presence=redis_value)
        await router._publish(
            Event(
                type="presence",
                at=now,
                data={"operator_id": operator_id, "status": presence.value},
            )
        )


async def set_presence(router: Router, operator_id: str, presence: Presence) -> None:
    """An explicit status; coming online hands out queued conversations at once."""
    await router.operators.get(operator_id)  # NotFound for unknown operators
    await _store(router, operator_id, presence, presence.value)
    if presence is Presence.ONLINE:
        await router.drain()


async def heartbeat(router: Router, operator_id: str) -> None:
    """The inbox is open: keep the operator's presence; a lost operator comes back."""
    current = await router.state.touch(operator_id, router.now_ms())
    if current in (None, LOST):
        await router.operators.get(operator_id)
        await _store(router, operator_id, Presence.ONLINE, Presence.ONLINE.value)
        await router.drain()


async def presence_timeouts(router: Router) -> int:
    """Operators whose heartbeats stopped go offline (``lost``)."""
    limit = router.now_ms() - int(router.config.heartbeat_timeout_s * 1000)
    presence, seen = await router.state.presence_all()
    gone = 0
    for op, value in presence.items():
        if value in (Presence.ONLINE.value, Presence.AWAY.value) and seen.get(op, 0) < limit:
            await _store(router, op, Presence.OFFLINE, LOST)
            gone += 1
    return gone
