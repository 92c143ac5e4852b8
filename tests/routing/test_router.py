"""The router end to end: real ingest, MongoDB and Valkey, a frozen clock moved by hand."""

from __future__ import annotations

import pytest

from inbox.domain.clock import FrozenClock
from inbox.domain.errors import Conflict
from inbox.domain.models import (
    BusinessHours,
    BusinessHoursWindow,
    ConversationStatus,
    Presence,
    RoutingStrategy,
)
from inbox.wiring import Hub
from tests.routing.support import (
    add_operator,
    add_team,
    customer_writes,
    routed_line,
    router_of,
)


async def online(hub: Hub, *logins: str, **fields: object) -> list[str]:
    ids = []
    for login in logins:
        op = await add_operator(hub, login, **fields)  # type: ignore[arg-type]
        await hub.router.set_presence(op.id, Presence.ONLINE)
        ids.append(op.id)
    return ids


async def test_a_new_conversation_goes_to_an_online_operator_with_a_hop(hub: Hub) -> None:
    line = await routed_line(hub)
    [ann] = await online(hub, "ann")
    await add_operator(hub, "bob")  # offline: gets nothing
    conv = await customer_writes(hub, line)
    assert conv.assignee_id == ann
    assert [(h.reason, h.to_operator) for h in conv.hops] == [("routed", ann)]
    assert conv.reply_due_at is not None


async def test_the_hook_tolerates_replays(hub: Hub) -> None:
    line = await routed_line(hub)
    await online(hub, "ann", "bob")
    conv = await customer_writes(hub, line)
    router = router_of(hub)
    await router.route(conv.id)
    again = await hub.conversations.get(conv.id)
    assert again.assignee_id == conv.assignee_id
    assert len(again.hops) == 1
    assert sum((await router.state.loads()).values()) == 1


async def test_least_busy_spreads_and_capacity_queues_the_rest(hub: Hub) -> None:
    line = await routed_line(hub)
    ann, bob = await online(hub, "ann", "bob", max_open=2)
    convs = [await customer_writes(hub, line, f"u{i}") for i in range(5)]
    assignees = [c.assignee_id for c in convs]
    assert assignees[:4].count(ann) == 2
    assert assignees[:4].count(bob) == 2
    assert assignees[4] is None
    queue = await hub.router.queue()
    assert [c.id for c in queue] == [convs[4].id]


async def test_round_robin_takes_turns(hub: Hub) -> None:
    line = await routed_line(hub, strategy=RoutingStrategy.ROUND_ROBIN)
    ops = await online(hub, "ann", "bob", "cid")
    got = [(await customer_writes(hub, line, f"u{i}")).assignee_id for i in range(6)]
    assert got[:3] == got[3:]
    assert sorted(got[:3]) == sorted(ops)


async def test_language_and_team_match(hub: Hub) -> None:
    sales = await add_team(hub, "sales")
    line = await routed_line(hub, team_id=sales.id)
    await online(hub, "outsider", languages=("uk",))
    [en] = await online(hub, "en", teams=(sales.id,), languages=("en",))
    [uk] = await online(hub, "uk", teams=(sales.id,), languages=("uk",))
    conv = await customer_writes(hub, line, "olena", language="uk")
    assert conv.assignee_id == uk
    other = await customer_writes(hub, line, "john", language="de")
    assert other.assignee_id in {en, uk}


async def test_the_queue_is_handed_out_the_moment_someone_comes_online(hub: Hub) -> None:
    line = await routed_line(hub)
    ann = await add_operator(hub, "ann")
    low = await customer_writes(hub, line, "u1")
    high = await customer_writes(hub, line, "u2")
    await hub.db["conversations"].update_one({"_id": high.id}, {"$set": {"priority": 5}})
    await hub.router.reconcile()  # a priority changed behind the router's back: re-scored
    assert [c.id for c in await hub.router.queue()] == [high.id, low.id]
    await hub.operators.get(ann.id)
    await hub.db["operators"].update_one({"_id": ann.id}, {"$set": {"max_open": 1}})
    await router_of(hub).operator_pool(fresh=True)
    await hub.router.set_presence(ann.id, Presence.ONLINE)
    assert (await hub.conversations.get(high.id)).assignee_id == ann.id
    assert (await hub.conversations.get(low.id)).assignee_id is None
    # resolving frees the slot: the next one in the queue follows at once
    await hub.conversations.set_status(high.id, ConversationStatus.RESOLVED, hub.clock.now())
    await hub.router.on_resolved(high.id)
    assert (await hub.conversations.get(low.id)).assignee_id == ann.id


async def test_manual_lines_wait_for_a_claim(hub: Hub) -> None:
    line = await routed_line(hub, strategy=RoutingStrategy.MANUAL)
    ann, bob = await online(hub, "ann", "bob", max_open=1)
    conv = await customer_writes(hub, line)
    assert conv.assignee_id is None
    claimed = await hub.router.claim(conv.id, ann)
    assert claimed.assignee_id == ann
    assert claimed.hops[-1].reason == "claim"
    with pytest.raises(Conflict):
        await hub.router.claim(conv.id, bob)
    other = await customer_writes(hub, line, "u2")
    with pytest.raises(Conflict) as full:
        await hub.router.claim(other.id, ann)
    assert full.value.code == "operator_at_capacity"


async def test_transfer_with_a_note_and_a_manager_assign(hub: Hub) -> None:
    line = await routed_line(hub)
    [ann] = await online(hub, "ann")
    bob = await add_operator(hub, "bob")
    conv = await customer_writes(hub, line)
    moved = await hub.router.transfer(conv.id, by=ann, to_operator=bob.id, note="speaks Polish")
    assert moved.assignee_id == bob.id
    assert (moved.hops[-1].reason, moved.hops[-1].note, moved.hops[-1].by) == (
        "transfer",
        "speaks Polish",
        ann,
    )
    back = await hub.router.assign(conv.id, ann, by="boss")
    assert back.assignee_id == ann
    assert back.hops[-1].reason == "manager"
    loads = await router_of(hub).state.loads()
    assert loads.get(ann) == 1
    assert loads.get(bob.id, 0) == 0


async def test_transfer_to_a_team_routes_inside_it(hub: Hub) -> None:
    support = await add_team(hub, "support")
    line = await routed_line(hub)
    [ann] = await online(hub, "ann")
    [sue] = await online(hub, "sue", teams=(support.id,))
    conv = await customer_writes(hub, line)
    if conv.assignee_id == sue:
        conv = await hub.router.assign(conv.id, ann, by="boss")
    moved = await hub.router.transfer(conv.id, by=ann, to_team=support.id)
    assert (moved.assignee_id, moved.team_id) == (sue, support.id)


async def test_no_reply_passes_it_on_then_escalates(hub: Hub, clock: FrozenClock) -> None:
    boss = await add_operator(hub, "boss")
    team = await add_team(hub, "sales", manager_id=boss.id)
    line = await routed_line(hub, team_id=team.id, no_reply_timeout_s=60, max_hops=1)
    first, second = await online(hub, "ann", "bob", teams=(team.id,))
    conv = await customer_writes(hub, line)
    holder = conv.assignee_id
    clock.advance(59)
    await hub.router.sweep()
    assert (await hub.conversations.get(conv.id)).assignee_id == holder
    clock.advance(1)
    await hub.router.sweep()
    passed = await hub.conversations.get(conv.id)
    assert passed.assignee_id == ({first, second} - {holder}).pop()
    assert (passed.hops[-1].reason, passed.hops[-1].from_operator) == ("no_reply", holder)
    clock.advance(60)
    await hub.router.sweep()
    flagged = await hub.conversations.get(conv.id)
    assert flagged.assignee_id is None
    assert flagged.needs_attention
    assert flagged.hops[-1].note == "out of hops"
    assert await hub.router.queue() == []  # waits for a person, not for the router
    assert (await router_of(hub).state.loads()) == {first: 0, second: 0}


async def test_an_answer_stops_the_no_reply_timer(hub: Hub, clock: FrozenClock) -> None:
    line = await routed_line(hub, no_reply_timeout_s=60)
    await online(hub, "ann", "bob")
    conv = await customer_writes(hub, line)
    clock.advance(10)
    await hub.replier.reply(conv.id, conv.assignee_id, "hello!")
    clock.advance(100)
    await hub.router.sweep()
    after = await hub.conversations.get(conv.id)
    assert after.assignee_id == conv.assignee_id
    assert after.reply_due_at is None
    clock.advance(5)
    await customer_writes(hub, line)  # the customer writes again: a new deadline
    assert (await hub.conversations.get(conv.id)).reply_due_at is not None


async def test_offline_operators_lose_chats_after_the_grace(hub: Hub, clock: FrozenClock) -> None:
    line = await routed_line(hub, offline_grace_s=120, no_reply_timeout_s=3600)
    [ann] = await online(hub, "ann")
    conv = await customer_writes(hub, line)
    assert conv.assignee_id == ann
    [bob] = await online(hub, "bob")
    await hub.router.set_presence(ann, Presence.OFFLINE)
    clock.advance(59)
    await hub.router.heartbeat(bob)
    clock.advance(60)
    await hub.router.heartbeat(bob)
    await hub.router.sweep()
    assert (await hub.conversations.get(conv.id)).assignee_id == ann
    clock.advance(1)
    await hub.router.sweep()
    after = await hub.conversations.get(conv.id)
    assert after.assignee_id == bob
    assert [h.reason for h in after.hops] == ["routed", "offline", "routed"]


async def test_keep_chats_of_offline_operators_when_configured(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await routed_line(hub, offline_grace_s=None)
    [ann] = await online(hub, "ann")
    conv = await customer_writes(hub, line)
    await hub.replier.reply(conv.id, ann, "on it")  # answered: no no-reply pass
    await online(hub, "bob")
    await hub.router.set_presence(ann, Presence.OFFLINE)
    clock.advance(days=1)
    await hub.router.heartbeat(ann)  # an explicit offline is not undone by a heartbeat
    await hub.router.sweep()
    assert (await hub.conversations.get(conv.id)).assignee_id == ann


async def test_heartbeats_keep_operators_online_until_they_stop(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await routed_line(hub)
    [ann] = await online(hub, "ann")
    clock.advance(50)
    await hub.router.heartbeat(ann)
    clock.advance(50)
    await hub.router.sweep()  # 50 s since the last heartbeat: still online
    assert (await customer_writes(hub, line, "u1")).assignee_id == ann
    clock.advance(61)
    await hub.router.sweep()
    assert (await customer_writes(hub, line, "u2")).assignee_id is None
    await hub.router.heartbeat(ann)  # the browser is back: online, and the queue follows
    assert len(await hub.conversations.list(assignee_id=ann)) == 2


async def test_outside_hours_it_waits_and_opening_distributes(hub: Hub, clock: FrozenClock) -> None:
    hours = BusinessHours(windows=(BusinessHoursWindow(weekday=0, start="10:00", end="18:00"),))
    line = await routed_line(hub, business_hours=hours)  # the clock starts Monday 09:00 UTC
    [ann] = await online(hub, "ann")
    conv = await customer_writes(hub, line)
    assert conv.assignee_id is None
    clock.advance(3600)
    await hub.router.heartbeat(ann)
    router_of(hub)._routable = (-1e9, [])  # the line list is cached for cache_s
    await hub.router.sweep()
    assert (await hub.conversations.get(conv.id)).assignee_id == ann


async def test_a_returning_customer_goes_back_to_their_operator(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await routed_line(hub, sticky_minutes=10, reopen_window_s=0)
    ann, bob = await online(hub, "ann", "bob")
    first = await customer_writes(hub, line, "u1")
    served = first.assignee_id
    await hub.conversations.set_status(first.id, ConversationStatus.RESOLVED, clock.now())
    await hub.router.on_resolved(first.id)
    clock.advance(60)
    # the other operator is now the less busy one, yet the customer returns to theirs
    await customer_writes(hub, line, "u2")
    second = await customer_writes(hub, line, "u1")
    assert second.id != first.id
    assert second.assignee_id == served
    # when their operator is away, the conversation waits up to sticky_minutes
    await hub.conversations.set_status(second.id, ConversationStatus.RESOLVED, clock.now())
    await hub.router.on_resolved(second.id)
    assert served is not None
    await hub.router.set_presence(served, Presence.AWAY)
    third = await customer_writes(hub, line, "u1")
    assert third.assignee_id is None
    clock.advance(600)
    other = ({ann, bob} - {served}).pop()
    await hub.router.heartbeat(other)
    await hub.router.sweep()
    assert (await hub.conversations.get(third.id)).assignee_id == other


async def test_a_reopened_conversation_is_retaken_or_rerouted(hub: Hub, clock: FrozenClock) -> None:
    line = await routed_line(hub)
    ann, bob = await online(hub, "ann", "bob")
    conv = await customer_writes(hub, line)
    holder = conv.assignee_id
    assert holder is not None
    await hub.conversations.set_status(conv.id, ConversationStatus.RESOLVED, clock.now())
    await hub.router.on_resolved(conv.id)
    assert sum((await router_of(hub).state.loads()).values()) == 0
    again = await customer_writes(hub, line)
    assert again.id == conv.id
    assert again.assignee_id == holder
    assert (await router_of(hub).state.loads())[holder] == 1
    await hub.conversations.set_status(conv.id, ConversationStatus.RESOLVED, clock.now())
    await hub.router.on_resolved(conv.id)
    await hub.router.set_presence(holder, Presence.OFFLINE)
    moved = await customer_writes(hub, line)
    assert moved.assignee_id == ({ann, bob} - {holder}).pop()
    assert [h.reason for h in moved.hops][-2:] == ["released", "routed"]


async def test_reconcile_heals_a_crash_between_redis_and_mongo(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await routed_line(hub, strategy=RoutingStrategy.MANUAL)
    [ann] = await online(hub, "ann", max_open=1)
    conv = await customer_writes(hub, line)
    router = router_of(hub)
    await router.reconcile()
    # the decision reached Redis, the process died before MongoDB: ann looks full
    taken = await router.state.assign(
        conv.id, expected=None, candidates=[ann], now_ms=router.now_ms(), stale_before_ms=0
    )
    assert taken.status == "ok", taken
    assert (await router.state.loads())[ann] == 1
    assert await router.reconcile() == 0  # too fresh: its MongoDB write may still come
    clock.advance(11)
    assert await router.reconcile() == 1
    assert (await router.state.loads()).get(ann, 0) == 0
    assert (await hub.router.claim(conv.id, ann)).assignee_id == ann


async def test_a_flushed_redis_is_rebuilt_before_the_next_decision(hub: Hub) -> None:
    line = await routed_line(hub)
    [ann] = await online(hub, "ann", max_open=1)
    held = await customer_writes(hub, line, "u1")
    assert held.assignee_id == ann
    router = router_of(hub)
    keys = [k async for k in hub.redis.scan_iter(match=f"{hub.settings.redis_prefix}rt:*")]
    await hub.redis.delete(*keys)
    waiting = await customer_writes(hub, line, "u2")
    assert waiting.assignee_id is None  # ann's chat was counted again: she is full
    assert await router.state.loads() == {ann: 1}
    assert (await router.state.holds()) == {held.id: ann}


async def test_capacity_strategy_prefers_the_most_free_room(hub: Hub) -> None:
    line = await routed_line(hub, strategy=RoutingStrategy.CAPACITY)
    [small] = await online(hub, "small", max_open=2)
    [big] = await online(hub, "big", max_open=10)
    got = [(await customer_writes(hub, line, f"u{i}")).assignee_id for i in range(4)]
    # once small holds 1 of 2 (50 %), big takes the rest while its share stays lower
    assert got.count(big) == 3
    assert got.count(small) == 1


async def test_a_reopened_manual_conversation_returns_to_its_operator(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await routed_line(hub, strategy=RoutingStrategy.MANUAL)
    [ann] = await online(hub, "ann")
    conv = await customer_writes(hub, line)
    await hub.router.claim(conv.id, ann)
    await hub.conversations.set_status(conv.id, ConversationStatus.RESOLVED, clock.now())
    await hub.router.on_resolved(conv.id)
    again = await customer_writes(hub, line)
    assert again.assignee_id == ann
    assert (await router_of(hub).state.loads())[ann] == 1


async def test_the_worker_runs_the_routing_timers(hub: Hub) -> None:
    from inbox.worker import hub_jobs

    jobs = {job.name: job for job in hub_jobs(hub)}
    assert {"routing_sweep", "routing_reconcile"} <= set(jobs)
    line = await routed_line(hub)
    conv = await customer_writes(hub, line)
    ann = await add_operator(hub, "ann")
    await router_of(hub).state.set_presence(ann.id, Presence.ONLINE.value, router_of(hub).now_ms())
    await router_of(hub).operator_pool(fresh=True)
    await jobs["routing_sweep"].run()  # the sweep drains the queue on its own
    assert (await hub.conversations.get(conv.id)).assignee_id == ann.id
