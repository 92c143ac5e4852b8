"""The operator pool and the line cache: what the router reads from MongoDB, cached.

Operators (static fields: teams, languages, ``max_open``) and lines are re-read every
``cache_s``; a changed capacity, team or language list is pushed to Redis, where the
availability index follows it. The cache is a hint: the assign script validates
presence and capacity at the moment it runs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from inbox.domain.clock import Clock
from inbox.domain.models import Line, Presence, RoutingStrategy
from inbox.domain.ports import LineRepository, OperatorRepository
from routing import guard
from routing.config import RouterConfig
from routing.policies import Candidate
from routing.state import IndexState

NEVER = -1e9  # a cache time that is always expired


def languages(codes: Sequence[str]) -> tuple[str, ...]:
    """Language codes as the policies compare them: lower case, without region."""
    return tuple(x.lower().split("-")[0] for x in codes)


class OperatorPool:
    """Active operators as candidates, lines by id and the routable lines, all cached."""

    def __init__(
        self,
        *,
        state: IndexState,
        operators: OperatorRepository,
        lines: LineRepository,
        clock: Clock,
        config: RouterConfig,
    ) -> None:
        self.state = state
        self.operators = operators
        self.lines = lines
        self.clock = clock
        self.config = config
        self._ops: dict[str, Candidate] = {}
        self._ops_at = NEVER
        self._caps: dict[str, int] = {}
        self._teams: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._lines: dict[str, tuple[float, Line]] = {}
        self.routable: tuple[float, list[str]] = (NEVER, [])  # (read at, line ids)

    async def candidates(self, *, fresh: bool = False) -> dict[str, Candidate]:
        """Active operators as candidates (static fields); capacities pushed to Redis."""
        if fresh or time.monotonic() - self._ops_at > self.config.cache_s:
            ops = await self.operators.list()
            self._ops = {
                o.id: Candidate(o.id, o.teams, languages(o.languages), o.max_open)
                for o in ops
                if o.active
            }
            caps = {o.id: (o.max_open if o.active else 0) for o in ops}
            teams = {o.id: (tuple(o.teams), languages(o.languages)) for o in ops}
            if caps != self._caps or teams != self._teams:
                await self.state.set_capacities(
                    caps, {k: v[0] for k, v in teams.items()}, {k: v[1] for k, v in teams.items()}
                )
                self._caps, self._teams = caps, teams
            self._ops_at = time.monotonic()
        return self._ops

    async def push_again(self) -> None:
        """Re-read the operators and push every capacity (Redis may have lost them)."""
        self._caps, self._teams = {}, {}
        await self.candidates(fresh=True)

    async def line(self, line_id: str) -> Line:
        hit = self._lines.get(line_id)
        if hit is not None and time.monotonic() - hit[0] <= self.config.cache_s:
            return hit[1]
        line = await self.lines.get(line_id)
        self._lines[line_id] = (time.monotonic(), line)
        return line

    async def routable_lines(self) -> list[str]:
        """Lines whose queue the router distributes now: enabled, automatic, open hours."""
        at, ids = self.routable
        if time.monotonic() - at > self.config.cache_s:
            now, lines = self.clock.now(), await self.lines.list()
            guard.report(lines, now)  # a line with unusable settings is routed with defaults
            ids = [
                x.id
                for x in lines
                if x.enabled
                and x.routing.strategy is not RoutingStrategy.MANUAL
                and guard.open_now(x, now)
            ]
            self.routable = (time.monotonic(), ids)
        return ids

    async def free(self) -> dict[str, tuple[tuple[str, ...], int]]:
        """Online operators with room left: their teams and how many more they can take."""
        pool = await self.candidates()
        snap = await self.state.snapshot(list(pool))
        online = Presence.ONLINE.value
        free = {}
        for c in pool.values():
            room = c.max_open - snap.load.get(c.id, 0)
            if room > 0 and snap.presence.get(c.id) == online:
                free[c.id] = (tuple(c.teams), room)
        return free
