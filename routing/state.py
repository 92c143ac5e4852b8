"""The router's fast shared state in Redis, changed only by Lua scripts (atomic).

Keys under ``{prefix}rt:``:

- ``asg``   hash conversation id -> ``operator|ms``: who holds each active conversation
- ``load``  hash operator id -> open conversations held (always derived from ``asg``)
- ``cap``   hash operator id -> ``max_open``
- ``pres``  hash operator id -> online | away | offline | lost (lost: heartbeat timeout)
- ``seen``  hash operator id -> last heartbeat, ms
- ``last``  hash operator id -> last assignment, ms (least busy breaks ties by it)
- ``rr:{key}`` round-robin counter per line or team
- ``ready`` set by reconciliation; scripts refuse to assign without it (a restarted Redis)
- ``teams`` hash operator id -> comma-separated team ids (pushed with ``cap``)
- ``langs`` hash operator id -> comma-separated language codes (pushed with ``cap``)
- ``idx:{pool}`` the availability index: a sorted set per pool (``*`` = every operator,
  else a team id; ``{pool}|{language}``: the pool's speakers of a language) of the
  operators that are online and below capacity, scored by load, then last assignment
  (see :data:`SHIFT`); kept by every script that changes presence, load, capacity,
  teams, languages or last assignment, rebuilt by reconciliation
- ``idxp`` set of the pools that have an index (so a rebuild can drop them all)
- ``q:{line}`` sorted set of queued conversations, score = priority (high first), then
  waiting time; a fast index of MongoDB's queue, refilled by reconciliation and cleaned
  lazily (an entry that turns out assigned or resolved is dropped when drained)

MongoDB stays the source of truth; :meth:`RoutingState.reconcile` rebuilds ``asg`` and
``load`` from it. An ``asg`` entry younger than the grace period is left alone, because its
MongoDB write may still be on its way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

# Index score: load * SHIFT + (last assignment ms - BASE, clamped to [0, SHIFT)). Exact
# (doubles) while load < 2**12; the order is then (load, last assignment, id) like the
# least busy strategy. A last assignment before BASE counts as never (0).
SHIFT = 2**41
BASE_MS = 1_500_000_000_000

# Shared by the scripts: the index keys come as 8 consecutive KEYS from position ``i``.
INDEX_LUA = f"""
local SHIFT, BASE = {SHIFT}, {BASE_MS}
local function ks_from(i)
  return {{pres = KEYS[i], load = KEYS[i + 1], cap = KEYS[i + 2], last = KEYS[i + 3],
          teams = KEYS[i + 4], idx = KEYS[i + 5], pools = KEYS[i + 6], langs = KEYS[i + 7]}}
end
local function pools_of(ks, op)
  local bases = {{'*'}}
  for t in string.gmatch(redis.call('HGET', ks.teams, op) or '', '[^,]+') do
    bases[#bases + 1] = t
  end
  local pools = {{}}
  local langs = redis.call('HGET', ks.langs, op) or ''
  for _, b in ipairs(bases) do
    pools[#pools + 1] = b
    for l in string.gmatch(langs, '[^,]+') do pools[#pools + 1] = b .. '|' .. l end
  end
  return pools
end
local function reindex(ks, op)
  if op == '' then return end
  local online = redis.call('HGET', ks.pres, op) == 'online'
  local load = tonumber(redis.call('HGET', ks.load, op) or '0')
  local cap = tonumber(redis.call('HGET', ks.cap, op) or '0')
  local pools = pools_of(ks, op)
  if online and load < cap then
    local last = tonumber(redis.call('HGET', ks.last, op) or '0') - BASE
    if last < 0 then last = 0 end
    if last >= SHIFT then last = SHIFT - 1 end
    local score = load * SHIFT + last
    for _, p in ipairs(pools) do
      redis.call('ZADD', ks.idx .. p, score, op)
      redis.call('SADD', ks.pools, p)
    end
  else
    for _, p in ipairs(pools) do redis.call('ZREM', ks.idx .. p, op) end
  end
end
local function rebuild(ks)
  for _, p in ipairs(redis.call('SMEMBERS', ks.pools)) do redis.call('DEL', ks.idx .. p) end
  redis.call('DEL', ks.pools, ks.idx .. '*')
  for _, op in ipairs(redis.call('HKEYS', ks.cap)) do reindex(ks, op) end
end
"""

# Checked assignment: the decision and the counters change in one step.
# ARGV: conversation, expected holder ('' none), now ms, check capacity, check presence,
#       stale-before ms, candidates... Returns {status, operator}.
ASSIGN = (
    INDEX_LUA
    + """
local KS = ks_from(7)
if redis.call('EXISTS', KEYS[6]) == 0 then return {'not_ready', ''} end
local conv = ARGV[1]
local cur = redis.call('HGET', KEYS[1], conv)
local cur_op, cur_ms = '', 0
if cur then
  local sep = string.find(cur, '|', 1, true)
  cur_op = string.sub(cur, 1, sep - 1)
  cur_ms = tonumber(string.sub(cur, sep + 1))
end
if cur_op ~= '' and cur_op ~= ARGV[2] then
  if cur_ms >= tonumber(ARGV[6]) then return {'conflict', cur_op} end
  -- a stale entry (its MongoDB write never came): drop it
  if tonumber(redis.call('HINCRBY', KEYS[2], cur_op, -1)) < 0 then
    redis.call('HSET', KEYS[2], cur_op, 0)
  end
  redis.call('HDEL', KEYS[1], conv)
  reindex(KS, cur_op)
  cur_op = ''
end
for i = 7, #ARGV do
  local op = ARGV[i]
  local ok = true
  if ARGV[5] == '1' and redis.call('HGET', KEYS[4], op) ~= 'online' then ok = false end
  if ok and op ~= cur_op and ARGV[4] == '1' then
    local load = tonumber(redis.call('HGET', KEYS[2], op) or '0')
    local cap = tonumber(redis.call('HGET', KEYS[3], op) or '0')
    if load >= cap then ok = false end
  end
  if ok then
    redis.call('HSET', KEYS[1], conv, op .. '|' .. ARGV[3])
    if op ~= cur_op then
      redis.call('HINCRBY', KEYS[2], op, 1)
      if cur_op ~= '' then
        if tonumber(redis.call('HINCRBY', KEYS[2], cur_op, -1)) < 0 then
          redis.call('HSET', KEYS[2], cur_op, 0)
        end
      end
    end
    redis.call('HSET', KEYS[5], op, ARGV[3])
    reindex(KS, op)
    if cur_op ~= op then reindex(KS, cur_op) end
    return {'ok', op}
  end
end
return {'none', cur_op}
"""
)

# Unchecked move from one holder to another ('' = nobody), only if ``from`` still holds it.
# ARGV: conversation, from ('*' = whoever, '' = nobody), to, now ms.
# Returns {moved 0/1, previous holder}.
MOVE = (
    INDEX_LUA
    + """
local KS = ks_from(3)
local conv = ARGV[1]
local cur = redis.call('HGET', KEYS[1], conv)
local cur_op = ''
if cur then cur_op = string.sub(cur, 1, string.find(cur, '|', 1, true) - 1) end
if ARGV[2] ~= '*' and cur_op ~= ARGV[2] then return {0, cur_op} end
if cur_op ~= '' then
  if tonumber(redis.call('HINCRBY', KEYS[2], cur_op, -1)) < 0 then
    redis.call('HSET', KEYS[2], cur_op, 0)
  end
end
if ARGV[3] == '' then
  -- a tombstone, so a reconciliation that read MongoDB earlier does not bring it back
  redis.call('HSET', KEYS[1], conv, '|' .. ARGV[4])
else
  redis.call('HSET', KEYS[1], conv, ARGV[3] .. '|' .. ARGV[4])
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
reindex(KS, cur_op)
if ARGV[3] ~= cur_op then reindex(KS, ARGV[3]) end
return {1, cur_op}
"""
)

# Rebuild from MongoDB's truth. ARGV: now ms, stale-before ms, when MongoDB was read (ms),
# then pairs conv, operator. Entries changed after that read win over it (a fresh hold not
# yet in MongoDB, or a tombstone of a release); older ones follow MongoDB. Loads are
# recounted from asg.
RECONCILE = (
    INDEX_LUA
    + """
local KS = ks_from(4)
local truth = {}
for i = 4, #ARGV, 2 do truth[ARGV[i]] = ARGV[i + 1] end
local read_ms = tonumber(ARGV[3])
local fixed = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local conv, val = all[i], all[i + 1]
  local sep = string.find(val, '|', 1, true)
  local op, ms = string.sub(val, 1, sep - 1), tonumber(string.sub(val, sep + 1))
  local want = truth[conv]
  if want == op then
    truth[conv] = nil
  elseif op == '' and ms >= read_ms then
    truth[conv] = nil  -- released after MongoDB was read: stays released
  elseif op == '' and not want then
    if ms < tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], conv) end
  elseif op == '' or ms < tonumber(ARGV[2]) then
    if want then
      redis.call('HSET', KEYS[1], conv, want .. '|' .. ARGV[1])
      truth[conv] = nil
    else
      redis.call('HDEL', KEYS[1], conv)
    end
    fixed = fixed + 1
  else
    truth[conv] = nil
  end
end
for conv, op in pairs(truth) do
  redis.call('HSET', KEYS[1], conv, op .. '|' .. ARGV[1])
  fixed = fixed + 1
end
redis.call('DEL', KEYS[2])
all = redis.call('HGETALL', KEYS[1])
local counts = {}
for i = 2, #all, 2 do
  local val = all[i]
  local op = string.sub(val, 1, string.find(val, '|', 1, true) - 1)
  if op ~= '' then counts[op] = (counts[op] or 0) + 1 end
end
for op, n in pairs(counts) do redis.call('HSET', KEYS[2], op, n) end
redis.call('SET', KEYS[3], ARGV[1])
rebuild(KS)
return fixed
"""
)

# Presence and heartbeat time of one operator. KEYS: seen, then the index keys.
# ARGV: operator, presence, now ms.
PRESENCE = (
    INDEX_LUA
    + """
local KS = ks_from(2)
redis.call('HSET', KS.pres, ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
reindex(KS, ARGV[1])
return 1
"""
)

# Capacities, teams and languages. KEYS: the index keys. ARGV: quadruples operator,
# max_open, teams, languages (comma-separated; '=' keeps the stored ones).
OPERATORS = (
    INDEX_LUA
    + """
local KS = ks_from(1)
for i = 1, #ARGV, 4 do
  local op, teams, langs = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  redis.call('HSET', KS.cap, op, ARGV[i + 1])
  if teams ~= '=' or langs ~= '=' then
    for _, p in ipairs(pools_of(KS, op)) do redis.call('ZREM', KS.idx .. p, op) end
    if teams ~= '=' then redis.call('HSET', KS.teams, op, teams) end
    if langs ~= '=' then redis.call('HSET', KS.langs, op, langs) end
  end
  reindex(KS, op)
end
return 1
"""
)


WHOLE_HASH_ABOVE = 64  # operators in a pool above which a snapshot reads whole hashes
ANY = "*"  # ``move(from_op=ANY)``: whoever holds it


@dataclass(frozen=True, slots=True)
class Decision:
    status: str  # ok | none | conflict | not_ready
    operator: str | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    presence: dict[str, str]
    load: dict[str, int]
    last: dict[str, int]
    ready: bool = True


def _s(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def index_language(code: str) -> bool:
    """Languages that get their own index: plain codes (no separators of the key scheme)."""
    return bool(code) and code.isascii() and code.replace("_", "").isalnum()


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


def _split(score: float) -> tuple[int, int]:
    """An index score back into ``(load, last key)``."""
    n = int(score)
    return n // SHIFT, n % SHIFT


class RoutingState:
    """Typed access to the router's Redis keys and scripts."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        p = f"{prefix}rt:"
        self.k_asg, self.k_load, self.k_cap = p + "asg", p + "load", p + "cap"
        self.k_pres, self.k_seen, self.k_last = p + "pres", p + "seen", p + "last"
        self.k_ready, self.k_rr, self.k_queue = p + "ready", p + "rr:", p + "q:"
        self.k_teams, self.k_idx, self.k_pools = p + "teams", p + "idx:", p + "idxp"
        self.k_langs = p + "langs"
        self._assign = redis.register_script(ASSIGN)
        self._move = redis.register_script(MOVE)
        self._reconcile = redis.register_script(RECONCILE)
        self._presence = redis.register_script(PRESENCE)
        self._operators = redis.register_script(OPERATORS)

    def _index_keys(self) -> list[str]:
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
        keys = [self.k_asg, self.k_load, self.k_cap, self.k_pres, self.k_last, self.k_ready]
        keys += self._index_keys()
        args: list[str | int] = [
            conversation_id,
            expected or "",
            now_ms,
            int(check_capacity),
            int(check_presence),
            stale_before_ms,
            *candidates,
        ]
        status, op = await self._assign(keys=keys, args=args)
        return Decision(_s(status), _s(op) or None)

    async def move(
        self, conversation_id: str, *, from_op: str | None, to_op: str | None, now_ms: int
    ) -> bool:
        """Move a hold if ``from_op`` has it (None: nobody, ANY: whoever); True if moved."""
        moved, _prev = await self._move(
            keys=[self.k_asg, self.k_load, *self._index_keys()],
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
        keys = [self.k_asg, self.k_load, self.k_ready, *self._index_keys()]
        return int(await self._reconcile(keys=keys, args=args))

    async def ready(self) -> bool:
        return bool(await self.redis.exists(self.k_ready))

    async def holder(self, conversation_id: str) -> str | None:
        val = _s(await self.redis.hget(self.k_asg, conversation_id))
        return val.split("|", 1)[0] if val else None

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
            presence={o: _s(v) for o, v in zip(ids, pres, strict=True) if v},
            load={o: int(v) for o, v in zip(ids, load, strict=True) if v},
            last={o: int(v) for o, v in zip(ids, last, strict=True) if v},
        )

    async def loads(self) -> dict[str, int]:
        raw = await self.redis.hgetall(self.k_load)
        return {_s(k): int(v) for k, v in raw.items()}

    async def holds(self) -> dict[str, str]:
        raw = await self.redis.hgetall(self.k_asg)
        held = {_s(k): _s(v).split("|", 1)[0] for k, v in raw.items()}
        return {conv: op for conv, op in held.items() if op}

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
            await self._operators(keys=self._index_keys(), args=args)

    async def set_presence(self, operator_id: str, presence: str, now_ms: int) -> None:
        await self._presence(
            keys=[self.k_seen, *self._index_keys()], args=[operator_id, presence, now_ms]
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
            speakers = [(_s(m), *_split(score)) for m, score in got[4]]
        return Head(
            ready=bool(got[0]),
            size=int(got[2]),
            head=[(_s(m), *_split(score)) for m, score in got[1]],
            also=None if also is None or got[3] is None else _split(got[3]),
            speakers=speakers,
            speakers_size=int(got[5]) if language is not None else 0,
        )

    async def index(self, pool: str | None, language: str | None = None) -> list[str]:
        """The whole availability index of a pool, in order (tests, diagnostics)."""
        key = self.k_idx + (pool or "*") + (f"|{language}" if language else "")
        raw = await self.redis.zrange(key, 0, -1)
        return [_s(cast(bytes, m)) for m in raw]

    async def fill_presence(self, presence: dict[str, str], now_ms: int) -> None:
        """After a restart: set presence only where Redis has none (live values win).

        The availability index is not touched: :meth:`reconcile`, which follows, rebuilds it.
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
            {_s(k): _s(v) for k, v in pres.items()},
            {_s(k): int(v) for k, v in seen.items()},
        )

    async def touch(self, operator_id: str, now_ms: int) -> str | None:
        """A heartbeat: record it and return the current presence."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.k_seen, operator_id, now_ms)
            pipe.hget(self.k_pres, operator_id)
            _, pres = await pipe.execute()
        return _s(pres) or None

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
            (score, line_id, _s(member))
            for line_id, entries in zip(line_ids, got, strict=True)
            for member, score in entries
        ]
        merged.sort()
        return [(line_id, conv) for _, line_id, conv in merged]

    async def next_turn(self, key: str) -> int:
        return int(await self.redis.incr(self.k_rr + key))
