"""The operator pool in Redis: capacities, teams, languages and the availability index.

``idx:{pool}`` is a sorted set per pool (``*`` = every operator, else a team id;
``{pool}|{language}``: the pool's speakers of a language) of the operators online and
below capacity, scored by load, then last assignment (:data:`routing.state.keys.SHIFT`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from routing.state.keys import StateBase, index_language, split_score, text

WHOLE_HASH_ABOVE = 64  # operators in a pool above which a snapshot reads whole hashes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Presence, load and last assignment of some operators, read together."""

    presence: dict[str, str]
    load: dict[str, int]
    last: dict[str, int]
    ready: bool = True


@dataclass(frozen=True, slots=True)
class Head:
    """The head of a pool's availability index: entries are (operator, load, last key).

    The last key orders like the last assignment (0: never, or before ``BASE_MS``).
    """

    ready: bool
    size: int  # operators in the pool's index
    head: list[tuple[str, int, int]]
    also: tuple[int, int] | None  # (load, last key) of the operator asked for, if indexed
    speakers: list[tuple[str, int, int]] | None = None  # head of the language's index
    speakers_size: int = 0


class IndexState(StateBase):
    """Operators' static fields pushed to Redis, and reads of who is free."""

    async def set_capacities(
        self,
        caps: Mapping[str, int],
        teams: Mapping[str, Sequence[str]] | None = None,
        languages: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """``max_open`` (and teams, languages when given) per operator; the index follows.

        Languages are indexed only when :func:`index_language` accepts them.
        """
        args: list[str | int] = []
        for op, cap in caps.items():
            got = teams.get(op) if teams is not None else None
            spoken = languages.get(op) if languages is not None else None
            args += [
                op,
                cap,
                "=" if got is None else ",".join(got),
                "=" if spoken is None else ",".join(x for x in spoken if index_language(x)),
            ]
        if args:
            await self.script_operators(keys=self.index_keys(), args=args)

    async def snapshot(self, operator_ids: Sequence[str]) -> Snapshot:
        """Presence, load and last assignment of these operators, in one round trip.

        Large pools read the whole hashes: sending thousands of field names costs more
        (client-side encoding) than receiving every operator's values.
        """
        if not operator_ids:
            return Snapshot({}, {}, {}, ready=await self.ready())
        ids = list(operator_ids)
        whole = len(ids) > WHOLE_HASH_ABOVE
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in (self.k_pres, self.k_load, self.k_last):
                if whole:
                    pipe.hgetall(key)
                else:
                    pipe.hmget(key, ids)
            pipe.exists(self.k_ready)
            pres, load, last, ready = await pipe.execute()
        if whole:
            return Snapshot(
                ready=bool(ready),
                presence={k.decode(): v.decode() for k, v in pres.items()},
                load={k.decode(): int(v) for k, v in load.items()},
                last={k.decode(): int(v) for k, v in last.items()},
            )
        return Snapshot(
            ready=bool(ready),
            presence={o: text(v) for o, v in zip(ids, pres, strict=True) if v},
            load={o: int(v) for o, v in zip(ids, load, strict=True) if v},
            last={o: int(v) for o, v in zip(ids, last, strict=True) if v},
        )

    async def top(
        self, pool: str | None, k: int, also: str | None = None, language: str | None = None
    ) -> Head:
        """The first ``k`` operators of a pool's availability index (``None``: everyone),
        and of its speakers of ``language``, with ``also``'s entry, in one round trip."""
        key = self.k_idx + (pool or "*")
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(self.k_ready)
            pipe.zrange(key, 0, k - 1, withscores=True)
            pipe.zcard(key)
            pipe.zscore(key, also or "")
            if language is not None:
                pipe.zrange(f"{key}|{language}", 0, k - 1, withscores=True)
                pipe.zcard(f"{key}|{language}")
            got = await pipe.execute()
        speakers: list[tuple[str, int, int]] | None = None
        if language is not None:
            speakers = [(text(m), *split_score(score)) for m, score in got[4]]
        return Head(
            ready=bool(got[0]),
            size=int(got[2]),
            head=[(text(m), *split_score(score)) for m, score in got[1]],
            also=None if also is None or got[3] is None else split_score(got[3]),
            speakers=speakers,
            speakers_size=int(got[5]) if language is not None else 0,
        )

    async def index(self, pool: str | None, language: str | None = None) -> list[str]:
        """The whole availability index of a pool, in order (tests, diagnostics)."""
        key = self.k_idx + (pool or "*") + (f"|{language}" if language else "")
        raw = await self.redis.zrange(key, 0, -1)
        return [text(cast(bytes, m)) for m in raw]
