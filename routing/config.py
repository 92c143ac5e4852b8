"""The router's tunables and the clock arithmetic every router part shares."""

from __future__ import annotations

from dataclasses import dataclass

from inbox.domain.clock import Clock

CHUNK = 16  # candidates offered to one script call; the next chunk only if all were taken
TOP_K = 32  # operators read from the availability index before falling back to the pool


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """Tunables from ``INBOX_ROUTING__*`` (see docs/routing.md)."""

    heartbeat_timeout_s: float = 60.0
    stale_after_s: float = 10.0  # a Redis hold MongoDB has not confirmed by then is dropped
    cache_s: float = 2.0  # operators and lines are re-read this often
    drain_batch: int = 50
    top_k: int = TOP_K  # operators read from the availability index per decision


def now_ms(clock: Clock) -> int:
    """The clock's now in epoch milliseconds (what the Redis state stores)."""
    return int(clock.now().timestamp() * 1000)


def stale_before_ms(clock: Clock, config: RouterConfig) -> int:
    """Holds taken before this moment and still not in MongoDB are dropped."""
    return now_ms(clock) - int(config.stale_after_s * 1000)
