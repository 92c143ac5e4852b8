"""Who holds each active conversation and every operator's load (``asg``, ``load``, ``last``).

Changed only by the ``assign``, ``move`` and ``reconcile`` scripts, which keep the
availability index in step in the same step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from routing.state.keys import StateBase, text


@dataclass(frozen=True, slots=True)
class Decision:
    """What the assign script did: ``ok`` | ``none`` | ``conflict`` | ``not_ready``."""

    status: str
    operator: str | None


class HoldsState(StateBase):
    """The holds and loads: the atomic assignment, the unchecked move, the rebuild."""

    async def assign(
        self,
        conversation_id: str,
        *,
        expected: str | None,
        candidates: Sequence[str],
        now_ms: int,
        stale_before_ms: int,
        check_capacity: bool = True,
        check_presence: bool = True,
    ) -> Decision:
        """Give the conversation to the first candidate still free, if ``expected`` holds it."""
        keys = [self.k_asg, self.k_load, self.k_cap, self.k_pres, self.k_last, self.k_ready]
        keys += self.index_keys()
        args: list[str | int] = [
            conversation_id,
            expected or "",
            now_ms,
            int(check_capacity),
            int(check_presence),
            stale_before_ms,
            *candidates,
        ]
        status, op = await self.script_assign(keys=keys, args=args)
        return Decision(text(status), text(op) or None)

    async def move(
        self, conversation_id: str, *, from_op: str | None, to_op: str | None, now_ms: int
    ) -> bool:
        """Move a hold if ``from_op`` has it (None: nobody, ANY: whoever); True if moved."""
        moved, _prev = await self.script_move(
            keys=[self.k_asg, self.k_load, *self.index_keys()],
            args=[conversation_id, from_op or "", to_op or "", now_ms],
        )
        return bool(moved)

    async def reconcile(
        self,
        truth: Iterable[tuple[str, str]],
        *,
        now_ms: int,
        stale_before_ms: int,
        read_ms: int | None = None,
    ) -> int:
        """``read_ms``: when ``truth`` was read from MongoDB (default ``now_ms``)."""
        args: list[str | int] = [now_ms, stale_before_ms, now_ms if read_ms is None else read_ms]
        for conv, op in truth:
            args += [conv, op]
        keys = [self.k_asg, self.k_load, self.k_ready, *self.index_keys()]
        return int(await self.script_reconcile(keys=keys, args=args))

    async def holder(self, conversation_id: str) -> str | None:
        val = text(await self.redis.hget(self.k_asg, conversation_id))
        return val.split("|", 1)[0] if val else None

    async def loads(self) -> dict[str, int]:
        raw = await self.redis.hgetall(self.k_load)
        return {text(k): int(v) for k, v in raw.items()}

    async def holds(self) -> dict[str, str]:
        raw = await self.redis.hgetall(self.k_asg)
        held = {text(k): text(v).split("|", 1)[0] for k, v in raw.items()}
        return {conv: op for conv, op in held.items() if op}
