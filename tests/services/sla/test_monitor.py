"""SLA warnings and breaches with an injected clock: timing, one record each, a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.models import BusinessHours, BusinessHoursWindow
from inbox.services.reports.hours import BusinessCalendar
from inbox.services.sla.policy import Level, SlaPolicy, clocks
from inbox.wiring import Hub
from tests.fakes import callback_sink
from tests.helpers import make_line
from tests.web.api.support import customer_writes, make_world

Client = TestClient[web.Request, web.Application]


async def sla_events(hub: Hub) -> list[str]:
    entries = await hub.redis.xrange(hub.publisher.stream)
    types = [json.loads(fields[b"e"])["type"] for _, fields in entries]
    return [t for t in types if t.startswith("sla.")]


async def test_warning_at_the_share_breach_at_the_target_each_once_across_restarts(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub, name="Shop")
    policy = SlaPolicy(line_id=line.id, first_response_s=600, business_hours=False)
    await hub.reporting().sla.put_policy({"_id": policy.id, **policy.model_dump(exclude={"id"})})
    conversation = await customer_writes(client, hub, line, "s-1")
    monitor = hub.reporting().monitor
    clock.advance(479)
    assert await monitor.check() == 0
    clock.advance(1)  # 80 % of 600 s
    assert await monitor.check() == 1
    assert await monitor.check() == 0
    restarted = hub.reporting().monitor  # a new worker derives the same states
    clock.advance(60)
    assert await restarted.check() == 0
    clock.advance(60)  # 600 s
    assert await restarted.check() == 1
    assert await sla_events(hub) == ["sla.warning", "sla.breach"]
    recorded = await hub.reporting().sla.events(conversation)
    assert [(e["metric"], e["level"]) for e in recorded] == [
        ("first_response", "warning"),
        ("first_response", "breach"),
    ]
    clock.advance(100)
    row = await hub.reporting().sla.row(conversation)
    assert row is not None
    states = await monitor.states(row)
    assert [(s.level, s.left_s) for s in states] == [(Level.BREACH, -100)]
    scrape = await (await client.get("/metrics")).text()
    assert f'inbox_sla_events_total{{level="warning",line_id="{line.id}"}} 1.0' in scrape
    assert f'inbox_sla_events_total{{level="breach",line_id="{line.id}"}} 1.0' in scrape
    assert f'inbox_queue_length{{line_id="{line.id}"}} 1.0' in scrape
    assert f'inbox_first_response_seconds_count{{line_id="{line.id}"}}' not in scrape  # no reply


async def test_a_reply_stops_the_clock(client: Client, hub: Hub, clock: FrozenClock) -> None:
    async with callback_sink() as sink:
        line = await make_line(hub, name="Shop", settings={"callback_url": sink.url})
        policy = SlaPolicy(line_id=line.id, first_response_s=600, business_hours=False)
        await hub.reporting().sla.put_policy(
            {"_id": policy.id, **policy.model_dump(exclude={"id"})}
        )
        conversation = await customer_writes(client, hub, line, "s-2")
        clock.advance(300)
        await hub.replier.reply(conversation, "op-1", "on it")
        await hub.sender.drain()
        clock.advance(3600)
        assert await hub.reporting().monitor.check() == 0
    assert await sla_events(hub) == []


def test_business_hours_move_the_due_time_past_the_weekend() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    windows = tuple(BusinessHoursWindow(weekday=d, start="09:00", end="18:00") for d in range(5))
    calendar = BusinessCalendar.of(BusinessHours(windows=windows), "Europe/Kyiv")
    policy = SlaPolicy(line_id="l", first_response_s=3600, warn_share=0.5)
    friday = datetime(2026, 1, 9, 17, 30, tzinfo=kyiv)
    row = {"open": True, "waiting_since": friday, "waiting_first": True}
    monday_9 = datetime(2026, 1, 12, 9, 0, tzinfo=kyiv)
    (state,) = clocks(row, policy, calendar, monday_9.astimezone(UTC))
    assert state.level is Level.WARNING  # 30 of 60 open minutes passed
    assert state.due_at == datetime(2026, 1, 12, 9, 30, tzinfo=kyiv)
    assert state.left_s == 1800
    (later,) = clocks(row, policy, calendar, (monday_9 + timedelta(minutes=31)).astimezone(UTC))
    assert later.level is Level.BREACH


async def test_the_conversation_shows_time_left_and_its_records(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    world = await make_world(hub)
    body = {"line_id": world.line_a.id, "first_response_s": 600, "business_hours": False}
    put = await client.put("/api/v1/sla/policies", json=body, headers=world.h(world.admin))
    assert put.status == 200, await put.text()
    denied = await client.put("/api/v1/sla/policies", json=body, headers=world.h(world.manager_a))
    assert denied.status == 403
    unknown = {**body, "line_id": "nope"}
    assert (
        await client.put("/api/v1/sla/policies", json=unknown, headers=world.h(world.admin))
    ).status == 404
    conversation = await customer_writes(client, hub, world.line_a, "s-3")
    clock.advance(500)
    await hub.reporting().monitor.check()
    resp = await client.get(
        f"/api/v1/conversations/{conversation}/sla", headers=world.h(world.manager_a)
    )
    assert resp.status == 200
    sla = await resp.json()
    assert [(c["metric"], c["level"], c["left_s"]) for c in sla["clocks"]] == [
        ("first_response", "warning", 100)
    ]
    assert [r["level"] for r in sla["records"]] == ["warning"]
    other = await client.get(
        f"/api/v1/conversations/{conversation}/sla", headers=world.h(world.op_b)
    )
    assert other.status == 404


async def test_the_live_board_shows_waits_queue_load_and_risk(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    world = await make_world(hub)
    policy = SlaPolicy(line_id=world.line_a.id, first_response_s=600, business_hours=False)
    await hub.reporting().sla.put_policy({"_id": policy.id, **policy.model_dump(exclude={"id"})})
    await customer_writes(client, hub, world.line_a, "l-1", user_id="u-1")
    clock.advance(300)
    second = await customer_writes(client, hub, world.line_a, "l-2", user_id="u-2")
    await customer_writes(client, hub, world.line_b, "l-3", user_id="u-3")
    clock.advance(250)  # the first waited 550 s (warning), the second 250 s
    await hub.reporting().monitor.check()
    resp = await client.get("/api/v1/reports/live", headers=world.h(world.manager_a))
    assert resp.status == 200
    board = await resp.json()
    assert (board["open"], board["unassigned"], board["waiting"]) == (2, 2, 2)
    assert board["longest_wait_s"] == 550
    assert [r["level"] for r in board["at_risk"]] == ["warning"]
    assert second not in {r["conversation_id"] for r in board["at_risk"]}
    names = [o["name"] for o in board["operators"]]
    assert names == ["Andriy", "Anna", "Manager"]
    assert all(o["presence"] == "offline" and o["capacity"] == 10 for o in board["operators"])
