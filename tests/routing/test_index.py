"""The availability index: kept by the Lua scripts (real Valkey), read top-k by the router.

The index of a pool holds the operators that are online and below capacity, in the least
busy order (load, then last assignment, then id). A decision ranks only its head and falls
back to the whole pool when the head cannot stand for it; these tests check that the head
is always a prefix of the pool's ranking, and the fallbacks end to end.
"""

from __future__ import annotations

import dataclasses
import random

from inbox.domain.models import Presence, RoutingRules, RoutingStrategy
from inbox.wiring import Hub
from routing.policies import Request
from routing.state import BASE_MS, RoutingState
from tests.routing.support import add_operator, add_team, customer_writes, routed_line, router_of

NOW = BASE_MS + 1_000_000


async def fresh_state(hub: Hub, name: str) -> RoutingState:
    state = RoutingState(hub.redis, hub.settings.redis_prefix + name + ":")
    await state.reconcile([], now_ms=NOW, stale_before_ms=0)
    return state


async def take(state: RoutingState, conv: str, cands: list[str], at: int = NOW) -> str | None:
    got = await state.assign(
        conv, expected=None, candidates=cands, now_ms=at, stale_before_ms=at - 10_000
    )
    return got.operator if got.status == "ok" else None


async def test_the_index_follows_presence_load_capacity_and_last_assignment(hub: Hub) -> None:
    state = await fresh_state(hub, "i1")
    await state.set_capacities({"a": 2, "b": 2, "c": 1}, {"a": ["t"], "b": [], "c": ["t"]})
    assert await state.index(None) == []  # nobody online yet
    for op in ("a", "b", "c"):
        await state.set_presence(op, "online", NOW)
    assert await state.index(None) == ["a", "b", "c"]  # all idle: by id
    assert await state.index("t") == ["a", "c"]
    assert await take(state, "x1", ["a"], at=NOW + 5) == "a"
    assert await state.index(None) == ["b", "c", "a"]  # a has one now
    assert await take(state, "x2", ["b"], at=NOW + 9) == "b"
    assert await take(state, "x3", ["a"], at=NOW + 12) == "a"
    assert await state.index(None) == ["c", "b"]  # a is full: out
    assert await take(state, "x4", ["c"], at=NOW + 20) == "c"
    assert await state.index("t") == []
    assert await state.move("x1", from_op="a", to_op=None, now_ms=NOW + 30)
    assert await state.index(None) == ["b", "a"]  # same load: b was assigned earlier
    await state.set_presence("b", "away", NOW + 31)
    assert await state.index(None) == ["a"]
    await state.set_capacities({"a": 0})  # deactivated
    assert await state.index(None) == []
    assert await state.index("t") == []


async def test_a_team_change_moves_the_operator_between_team_indexes(hub: Hub) -> None:
    state = await fresh_state(hub, "i2")
    await state.set_capacities({"a": 3}, {"a": ["t1"]})
    await state.set_presence("a", "online", NOW)
    assert (await state.index("t1"), await state.index("t2")) == (["a"], [])
    await state.set_capacities({"a": 3}, {"a": ["t2"]})
    assert (await state.index("t1"), await state.index("t2")) == ([], ["a"])
    await state.set_capacities({"a": 4})  # teams unchanged when not given
    assert await state.index("t2") == ["a"]


async def test_reconciliation_rebuilds_the_index_from_the_hashes(hub: Hub) -> None:
    state = await fresh_state(hub, "i3")
    await state.set_capacities({"a": 2, "b": 2}, {"a": ["t"], "b": ["t"]})
    for op in ("a", "b"):
        await state.set_presence(op, "online", NOW)
    assert await take(state, "x1", ["b"]) == "b"
    await hub.redis.delete(state.k_idx + "*", state.k_idx + "t", state.k_pools)
    await hub.redis.zadd(state.k_idx + "*", {"ghost": 1})  # junk is dropped too
    await hub.redis.zadd(state.k_idx + "ghosts", {"ghost": 1})
    await hub.redis.sadd(state.k_pools, "ghosts")
    # MongoDB says x1 is a's: loads follow, and the index follows the loads
    await state.reconcile([("x1", "a")], now_ms=NOW + 1, stale_before_ms=NOW + 1)
    assert await state.index(None) == ["b", "a"]
    assert await state.index("t") == ["b", "a"]
    assert await state.index("ghosts") == []


async def test_the_index_is_the_least_busy_order_of_available_operators(hub: Hub) -> None:
    rng = random.Random(7)
    state = await fresh_state(hub, "i4")
    ops = [f"op{i:02d}" for i in range(12)]
    caps = {op: rng.randint(1, 4) for op in ops}
    await state.set_capacities(caps, {op: ["t"] if i % 2 else [] for i, op in enumerate(ops)})
    for step in range(60):
        op = rng.choice(ops)
        roll = rng.random()
        at = NOW + step * 7
        if roll < 0.2:
            await state.set_presence(op, rng.choice(["online", "away", "offline"]), at)
        elif roll < 0.7:
            await take(state, f"c{step}", rng.sample(ops, 3), at=at)
        else:
            held = await state.holds()
            if held:
                conv = rng.choice(sorted(held))
                await state.move(conv, from_op=held[conv], to_op=None, now_ms=at)
        pres, _ = await state.presence_all()
        loads = await state.loads()
        snap = await state.snapshot(ops)
        want = sorted(
            (o for o in ops if pres.get(o) == "online" and loads.get(o, 0) < caps[o]),
            key=lambda o: (loads.get(o, 0), snap.last.get(o, 0), o),
        )
        assert await state.index(None) == want
        assert await state.index("t") == [o for o in want if int(o[2:]) % 2]


async def test_the_head_of_the_index_is_a_prefix_of_the_pool_ranking(hub: Hub) -> None:
    router = router_of(hub)
    router.config = dataclasses.replace(router.config, top_k=3)
    rng = random.Random(11)
    team = await add_team(hub, "t")
    ops = []
    for i in range(10):
        op = await add_operator(
            hub,
            f"op{i}",
            max_open=rng.randint(1, 3),
            languages=("uk",) if i % 4 == 0 else ("en",),
            teams=(team.id,) if i % 2 else (),
        )
        ops.append(op.id)
        if i != 9:
            await router.set_presence(op.id, Presence.ONLINE)
    await router.reconcile()
    now = router.now_ms()
    for i in range(12):  # some load, spread unevenly
        await router.state.assign(
            f"c{i}",
            expected=None,
            candidates=rng.sample(ops, 2),
            now_ms=now + i,
            stale_before_ms=0,
        )
    assert sum((await router.state.loads()).values()) >= 8
    checked = fast = 0
    for _ in range(80):
        request = Request(
            rules=RoutingRules(
                strategy=RoutingStrategy.LEAST_BUSY, match_language=rng.random() < 0.7
            ),
            team_id=rng.choice([None, team.id]),
            language=rng.choice([None, "uk", "en-GB", "de"]),
            sticky_to=rng.choice([None, *ops]),
            exclude=frozenset(rng.sample(ops, rng.randint(0, 3))),
        )
        full = await router.rank_pool(request)
        top = await router.rank_top(request)
        checked += 1
        if top is None:
            continue
        fast += 1
        ranked, complete = top
        assert [(c.id, c.open) for c in ranked] == [(c.id, c.open) for c in full[: len(ranked)]]
        if complete:
            assert [c.id for c in ranked] == [c.id for c in full]
    assert fast > checked // 2  # the head is used most of the time


async def test_a_speaker_behind_the_head_is_found_through_the_language_index(hub: Hub) -> None:
    router = router_of(hub)
    router.config = dataclasses.replace(router.config, top_k=2)
    line = await routed_line(hub)
    uk = await add_operator(hub, "oksana", languages=("uk",))
    await router.set_presence(uk.id, Presence.ONLINE)
    first = await customer_writes(hub, line, "en-1", language="en")
    assert first.assignee_id == uk.id  # now the busiest: last in the index
    for login in ("ann", "bob", "cid", "dan"):
        op = await add_operator(hub, login, languages=("en",))
        await router.set_presence(op.id, Presence.ONLINE)
    assert (await router.state.index(None))[-1] == uk.id
    conv = await customer_writes(hub, line, "uk-1", language="uk")
    assert conv.assignee_id == uk.id


async def test_a_head_all_excluded_falls_back_to_the_pool(hub: Hub) -> None:
    router = router_of(hub)
    router.config = dataclasses.replace(router.config, top_k=2)
    line = await routed_line(hub)
    for login in ("ann", "bob", "cid", "dan"):
        op = await add_operator(hub, login)
        await router.set_presence(op.id, Presence.ONLINE)
    order = await router.state.index(None)
    conv = await routed_line_conversation(hub, line)
    routed = await router.route_conversation(conv, exclude=frozenset(order[:2]))
    assert routed.assignee_id == order[2]


async def test_the_index_is_rebuilt_after_redis_loses_it(hub: Hub) -> None:
    router = router_of(hub)
    line = await routed_line(hub)
    ids = []
    for login in ("ann", "bob"):
        op = await add_operator(hub, login, max_open=1)
        await router.set_presence(op.id, Presence.ONLINE)
        ids.append(op.id)
    conv = await customer_writes(hub, line, "u1")
    assert await router.state.index(None) == [x for x in ids if x != conv.assignee_id]
    await hub.redis.flushdb()
    await router.reconcile()  # what the worker or the next decision does on a bare Redis
    free = [x for x in ids if x != conv.assignee_id]
    # presence comes back from MongoDB, the load from the assignment
    assert await router.state.index(None) == free
    other = await customer_writes(hub, line, "u2")
    assert other.assignee_id == free[0]
    assert await router.state.index(None) == []


async def routed_line_conversation(hub: Hub, line):  # type: ignore[no-untyped-def]
    """An unassigned conversation on ``line`` (written while nobody could take it)."""
    router = router_of(hub)
    pres, _ = await router.state.presence_all()
    online = [op for op, p in pres.items() if p == "online"]
    for op in online:
        await router.state.set_presence(op, "away", router.now_ms())
    conv = await customer_writes(hub, line, "u-excl")
    for op in online:
        await router.state.set_presence(op, "online", router.now_ms())
    assert conv.assignee_id is None
    return conv


async def test_each_pool_has_an_index_per_language(hub: Hub) -> None:
    state = await fresh_state(hub, "i5")
    await state.set_capacities(
        {"a": 1, "b": 2, "c": 2},
        {"a": ["t"], "b": ["t"], "c": []},
        {"a": ["uk", "en"], "b": ["uk"], "c": ["en", "x|y"]},  # odd codes are not indexed
    )
    for op in ("a", "b", "c"):
        await state.set_presence(op, "online", NOW)
    assert await state.index(None, "uk") == ["a", "b"]
    assert await state.index("t", "en") == ["a"]
    assert await state.index(None, "en") == ["a", "c"]
    assert await take(state, "x1", ["a"]) == "a"  # a is full now
    assert (await state.index(None, "uk"), await state.index("t", "en")) == (["b"], [])
    await state.set_capacities({"b": 2}, languages={"b": ["de"]})
    assert (await state.index(None, "uk"), await state.index("t", "de")) == ([], ["b"])
