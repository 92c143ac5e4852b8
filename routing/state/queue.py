"""The queues per line (``q:{line}``) and the round-robin counters (``rr:{key}``).

A queue is a fast index of MongoDB's: refilled by reconciliation and cleaned lazily (an
entry that turns out assigned or resolved is dropped when drained).
"""

from __future__ import annotations

from collections.abc import Sequence

from routing.state.keys import StateBase, text


class QueueState(StateBase):
    """Queued conversations, highest priority then longest waiting first."""

    @staticmethod
    def queue_score(priority: int, queued_ms: int) -> float:
        return float(-priority * 10**13 + queued_ms)

    async def enqueue(self, line_id: str, conversation_id: str, score: float) -> None:
        await self.redis.zadd(self.k_queue + line_id, {conversation_id: score})

    async def enqueue_many(self, entries: Sequence[tuple[str, str, float]]) -> None:
        if not entries:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for line_id, conv_id, score in entries:
                pipe.zadd(self.k_queue + line_id, {conv_id: score})
            await pipe.execute()

    async def dequeue(self, line_id: str, conversation_id: str) -> None:
        await self.redis.zrem(self.k_queue + line_id, conversation_id)

    async def queue_heads(self, line_ids: Sequence[str], n: int) -> list[tuple[str, str]]:
        """The first ``n`` queued ``(line_id, conversation_id)`` of each line, merged in order.

        Not cut to ``n`` overall: one line's (or one team's) backlog must not hide the
        oldest conversation of another line behind it.
        """
        if not line_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for line_id in line_ids:
                pipe.zrange(self.k_queue + line_id, 0, n - 1, withscores=True)
            got = await pipe.execute()
        merged = [
            (score, line_id, text(member))
            for line_id, entries in zip(line_ids, got, strict=True)
            for member, score in entries
        ]
        merged.sort()
        return [(line_id, conv) for _, line_id, conv in merged]

    async def next_turn(self, key: str) -> int:
        """The next round-robin turn of a line or team."""
        return int(await self.redis.incr(self.k_rr + key))
