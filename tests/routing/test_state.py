"""The Lua scripts against the real Valkey: one atomic decision, counters always derived."""

from __future__ import annotations

import asyncio

from inbox.wiring import Hub
from routing.state import ANY, RoutingState

NOW = 1_000_000


async def ready_state(hub: Hub, caps: dict[str, int], online: list[str]) -> RoutingState:
    state = RoutingState(hub.redis, hub.settings.redis_prefix + "x:")
    await state.reconcile([], now_ms=NOW, stale_before_ms=0)
    await state.set_capacities(caps)
    for op in online:
        await state.set_presence(op, "online", NOW)
    return state


async def take(state: RoutingState, conv: str, cands: list[str], expected: str | None = None):  # type: ignore[no-untyped-def]
    return await state.assign(
        conv, expected=expected, candidates=cands, now_ms=NOW, stale_before_ms=NOW - 10_000
    )


async def test_assign_takes_the_first_online_candidate_with_room(hub: Hub) -> None:
    state = await ready_state(hub, {"a": 1, "b": 2, "c": 2}, online=["a", "b"])
    assert (await take(state, "c1", ["c", "a", "b"])).operator == "a"  # c is offline
    assert (await take(state, "c2", ["a", "b"])).operator == "b"  # a is full
    assert (await take(state, "c3", ["a"])).status == "none"
    assert await state.loads() == {"a": 1, "b": 1}
    assert await state.holds() == {"c1": "a", "c2": "b"}


async def test_assign_refuses_when_the_holder_is_not_the_expected_one(hub: Hub) -> None:
    state = await ready_state(hub, {"a": 5, "b": 5}, online=["a", "b"])
    await take(state, "c1", ["a"])
    conflict = await take(state, "c1", ["b"], expected=None)
    assert (conflict.status, conflict.operator) == ("conflict", "a")
    moved = await take(state, "c1", ["b"], expected="a")
    assert moved.operator == "b"
    assert await state.loads() == {"a": 0, "b": 1}


async def test_a_stale_hold_is_dropped_by_the_next_decision(hub: Hub) -> None:
    state = await ready_state(hub, {"a": 1, "b": 1}, online=["a", "b"])
    await take(state, "c1", ["a"])  # say MongoDB never got this one
    got = await state.assign(
        "c1", expected=None, candidates=["b"], now_ms=NOW + 20_000, stale_before_ms=NOW + 1
    )
    assert got.operator == "b"
    assert await state.loads() == {"a": 0, "b": 1}


async def test_nothing_is_assigned_before_reconciliation(hub: Hub) -> None:
    state = RoutingState(hub.redis, hub.settings.redis_prefix + "y:")
    await state.set_capacities({"a": 1})
    await state.set_presence("a", "online", NOW)
    assert (await take(state, "c1", ["a"])).status == "not_ready"
    await state.reconcile([], now_ms=NOW, stale_before_ms=0)
    assert (await take(state, "c1", ["a"])).status == "ok"


async def test_move_only_from_the_named_holder(hub: Hub) -> None:
    state = await ready_state(hub, {"a": 2, "b": 2}, online=["a", "b"])
    await take(state, "c1", ["a"])
    assert not await state.move("c1", from_op="b", to_op=None, now_ms=NOW)
    assert await state.move("c1", from_op="a", to_op="b", now_ms=NOW)
    assert await state.move("c1", from_op=ANY, to_op=None, now_ms=NOW)
    assert await state.holds() == {}
    assert await state.loads() == {"a": 0, "b": 0}


async def test_reconcile_follows_mongo_but_keeps_fresh_holds(hub: Hub) -> None:
    state = await ready_state(hub, {"a": 5, "b": 5}, online=["a", "b"])
    await take(state, "old", ["a"])
    fresh = await state.assign(
        "fresh", expected=None, candidates=["b"], now_ms=NOW + 9_000, stale_before_ms=0
    )
    assert fresh.status == "ok"
    fixed = await state.reconcile(
        [("old", "b"), ("only-in-mongo", "a")], now_ms=NOW + 10_000, stale_before_ms=NOW + 1
    )
    assert fixed == 2
    assert await state.holds() == {"old": "b", "fresh": "b", "only-in-mongo": "a"}
    assert await state.loads() == {"a": 1, "b": 2}


async def test_concurrent_decisions_never_exceed_capacity(hub: Hub) -> None:
    caps = {f"op{i}": 3 for i in range(5)}
    state = await ready_state(hub, caps, online=list(caps))
    results = await asyncio.gather(*(take(state, f"c{i}", list(caps)) for i in range(40)))
    assert sum(r.status == "ok" for r in results) == 15
    loads = await state.loads()
    assert all(n == 3 for n in loads.values())
    holds = await state.holds()
    assert len(holds) == 15
    assert {op: list(holds.values()).count(op) for op in caps} == loads
