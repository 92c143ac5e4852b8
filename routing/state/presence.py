"""Operators' presence in Redis (``pres``) and their last heartbeat (``seen``)."""

from __future__ import annotations

from routing.state.keys import StateBase, text


class PresenceState(StateBase):
    """Presence and heartbeats; a change of presence moves the availability index."""

    async def set_presence(self, operator_id: str, presence: str, now_ms: int) -> None:
        await self.script_presence(
            keys=[self.k_seen, *self.index_keys()], args=[operator_id, presence, now_ms]
        )

    async def fill_presence(self, presence: dict[str, str], now_ms: int) -> None:
        """After a restart: set presence only where Redis has none (live values win).

        The availability index is not touched: reconciliation, which follows, rebuilds it.
        """
        if not presence:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for op, value in presence.items():
                pipe.hsetnx(self.k_pres, op, value)
                pipe.hsetnx(self.k_seen, op, now_ms)
            await pipe.execute()

    async def presence_all(self) -> tuple[dict[str, str], dict[str, int]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.k_pres)
            pipe.hgetall(self.k_seen)
            pres, seen = await pipe.execute()
        return (
            {text(k): text(v) for k, v in pres.items()},
            {text(k): int(v) for k, v in seen.items()},
        )

    async def touch(self, operator_id: str, now_ms: int) -> str | None:
        """A heartbeat: record it and return the current presence."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.k_seen, operator_id, now_ms)
            pipe.hget(self.k_pres, operator_id)
            _, pres = await pipe.execute()
        return text(pres) or None
