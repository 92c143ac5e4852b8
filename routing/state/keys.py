"""Names of the router's Redis keys, the index score codec and the scripts' loader.

Every state role (:mod:`routing.state.holds`, :mod:`routing.state.index`,
:mod:`routing.state.presence`, :mod:`routing.state.queue`) is a :class:`StateBase`: the
same Redis, the same key names and the same registered scripts.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

# Index score: load * SHIFT + (last assignment ms - BASE, clamped to [0, SHIFT)). Exact
# (doubles) while load < 2**12; the order is then (load, last assignment, id) like the
# least busy strategy. A last assignment before BASE counts as never (0). index.lua holds
# the same two numbers (a test keeps them equal).
SHIFT = 2**41
BASE_MS = 1_500_000_000_000

ANY = "*"  # ``move(from_op=ANY)``: whoever holds it


@cache
def lua(name: str) -> str:
    """A script from this package's ``.lua`` files, after the shared index functions."""
    here = files(__package__ or "routing.state")
    shared = (here / "index.lua").read_text(encoding="utf-8")
    return shared + (here / f"{name}.lua").read_text(encoding="utf-8")


def text(value: bytes | str | None) -> str:
    """A Redis reply as text ('' for a missing value)."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def index_language(code: str) -> bool:
    """Languages that get their own index: plain codes (no separators of the key scheme)."""
    return bool(code) and code.isascii() and code.replace("_", "").isalnum()


def split_score(score: float) -> tuple[int, int]:
    """An index score back into ``(load, last key)``."""
    n = int(score)
    return n // SHIFT, n % SHIFT


class StateBase:
    """The Redis connection, the key names under ``{prefix}rt:`` and the scripts."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        p = f"{prefix}rt:"
        self.k_asg, self.k_load, self.k_cap = p + "asg", p + "load", p + "cap"
        self.k_pres, self.k_seen, self.k_last = p + "pres", p + "seen", p + "last"
        self.k_ready, self.k_rr, self.k_queue = p + "ready", p + "rr:", p + "q:"
        self.k_teams, self.k_idx, self.k_pools = p + "teams", p + "idx:", p + "idxp"
        self.k_langs = p + "langs"
        # registering is local (the SHA is computed here); Redis loads a script on first use
        self.script_assign: AsyncScript = redis.register_script(lua("assign"))
        self.script_move: AsyncScript = redis.register_script(lua("move"))
        self.script_reconcile: AsyncScript = redis.register_script(lua("reconcile"))
        self.script_presence: AsyncScript = redis.register_script(lua("presence"))
        self.script_operators: AsyncScript = redis.register_script(lua("operators"))

    def index_keys(self) -> list[str]:
        """The keys every script that touches the availability index gets, in this order."""
        return [
            self.k_pres,
            self.k_load,
            self.k_cap,
            self.k_last,
            self.k_teams,
            self.k_idx,
            self.k_pools,
            self.k_langs,
        ]

    async def ready(self) -> bool:
        """Whether reconciliation filled this Redis (a restarted one is not)."""
        return bool(await self.redis.exists(self.k_ready))
