"""The Redis state roles: each owns its keys, and any one of them sees what the others did."""

from __future__ import annotations

import inspect

from inbox.wiring import Hub
from routing.state import HoldsState, IndexState, PresenceState, QueueState, RoutingState
from routing.state.keys import StateBase

NOW = 1_000_000
ROLES = (HoldsState, IndexState, PresenceState, QueueState)


def test_every_method_of_the_state_belongs_to_exactly_one_role() -> None:
    public = {n for n, _ in inspect.getmembers(RoutingState) if not n.startswith("_")}
    shared = {n for n, _ in inspect.getmembers(StateBase) if not n.startswith("_")}
    owners = {
        name: [r.__name__ for r in ROLES if name in vars(r)] for name in sorted(public - shared)
    }
    assert {name: got for name, got in owners.items() if len(got) != 1} == {}


async def test_roles_over_one_prefix_share_the_same_state(hub: Hub) -> None:
    prefix = hub.settings.redis_prefix + "roles:"
    whole = RoutingState(hub.redis, prefix)
    holds, index = HoldsState(hub.redis, prefix), IndexState(hub.redis, prefix)
    presence, queue = PresenceState(hub.redis, prefix), QueueState(hub.redis, prefix)
    assert not await holds.ready()
    await holds.reconcile([], now_ms=NOW, stale_before_ms=0)
    await index.set_capacities({"a": 2, "b": 1}, {"a": ["t"], "b": []})
    await presence.set_presence("a", "online", NOW)
    await presence.set_presence("b", "online", NOW)
    assert await whole.index(None) == ["a", "b"]  # same load, never assigned: by id
    taken = await holds.assign("c1", expected=None, candidates=["b"], now_ms=NOW, stale_before_ms=0)
    assert taken.operator == "b"
    assert (await index.snapshot(["a", "b"])).load == {"b": 1}
    assert await whole.index(None) == ["a"]  # b is full now
    await queue.enqueue("l1", "c2", queue.queue_score(0, NOW))
    assert await whole.queue_heads(["l1"], 5) == [("l1", "c2")]
    assert await whole.holds() == {"c1": "b"}
    assert (await presence.presence_all())[0] == {"a": "online", "b": "online"}
