"""The managers' reports over real ingest, replies, resolutions and the metrics refresh:
numbers hand-computed, scope per team, CSV identical to the JSON answer."""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.models import ConversationStatus, Hop, RoutingRules, RoutingStrategy
from inbox.wiring import Hub
from tests.fakes import callback_sink
from tests.helpers import make_line
from tests.web.api.support import customer_writes, make_world

Client = TestClient[web.Request, web.Application]


async def scenario(client: Client, hub: Hub, clock: FrozenClock, url: str) -> Any:
    world = await make_world(hub)
    rules = RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL)
    line = await make_line(hub, name="Shop", routing=rules, settings={"callback_url": url})
    start = clock.now()
    # Conversation 1: answered after 10 min by a bot first (no count), then anna; resolved.
    c1 = await customer_writes(client, hub, line, "m-1", user_id="u-1")
    clock.advance(60)
    await hub.replier.reply(c1, None, "bot: we will answer soon")
    clock.advance(540)
    await hub.replier.reply(c1, world.op_a.id, "hello, how can I help?")
    await hub.sender.drain()
    clock.advance(1800)
    await hub.conversations.set_status(c1, ConversationStatus.RESOLVED, clock.now())
    # Conversation 2: answered after 30 min; still open.
    c2 = await customer_writes(client, hub, line, "m-2", user_id="u-2")
    clock.advance(1800)
    await hub.replier.reply(c2, world.op_a.id, "sorry for the wait")
    await hub.sender.drain()
    # Conversation 3: the customer gave up before any answer.
    c3 = await customer_writes(client, hub, line, "m-3", user_id="u-3")
    clock.advance(300)
    await hub.conversations.set_status(c3, ConversationStatus.RESOLVED, clock.now())
    # Team B's conversation: never in team A's manager's numbers.
    await customer_writes(client, hub, world.line_b, "b-1", user_id="u-9")
    clock.advance(60)
    assert await hub.reporting().refresher.refresh_changed() == 4
    period = {"since": start.isoformat(), "until": clock.now().isoformat()}
    return world, line, period


async def test_reports_count_per_conversation_and_only_human_replies(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink() as sink:
        world, line, period = await scenario(client, hub, clock, sink.url)
    resp = await client.get("/api/v1/reports/metrics", params=period, headers=world.h(world.admin))
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["conversations"] == 4
    assert body["missed"] == 1
    # Started Monday 09:00-10:15 UTC: 11:00-12:15 in Kyiv (winter, UTC+2).
    kyiv = await client.get(
        "/api/v1/reports/metrics",
        params={**period, "tz": "Europe/Kyiv"},
        headers=world.h(world.admin),
    )
    assert {(c["weekday"], c["hour"]) for c in (await kyiv.json())["heatmap"]} == {(1, 11), (1, 12)}
    bad_zone = await client.get(
        "/api/v1/reports/metrics",
        params={**period, "tz": "Mars/Olympus"},
        headers=world.h(world.admin),
    )
    assert bad_zone.status == 422
    resp = await client.get(
        "/api/v1/reports/metrics",
        params={**period, "line_id": line.id},
        headers=world.h(world.manager_a),
    )
    body = await resp.json()
    assert body["conversations"] == 3
    assert body["resolved"] == 2
    first = body["metrics"]["first_response"]["calendar"]
    assert first == {"count": 2, "avg": 1200.0, "p50": 600.0, "p90": 1800.0, "p95": 1800.0}
    assert body["metrics"]["resolution"]["calendar"]["count"] == 2
    anna = [o for o in body["operators"] if o["operator_id"] == world.op_a.id]
    assert anna[0]["replies"] == 2
    assert anna[0]["name"] == "Anna"
    scrape = await (await client.get("/metrics")).text()
    assert f'inbox_first_response_seconds_count{{line_id="{line.id}"}} 2.0' in scrape
    assert f'inbox_first_response_seconds_bucket{{le="600.0",line_id="{line.id}"}} 1.0' in scrape
    assert f'inbox_first_response_seconds_sum{{line_id="{line.id}"}} 2400.0' in scrape


async def test_a_manager_sees_only_their_teams_and_404_for_another(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink() as sink:
        world, _, period = await scenario(client, hub, clock, sink.url)
    h = world.h(world.manager_a)
    resp = await client.get("/api/v1/reports/metrics", params=period, headers=h)
    assert (await resp.json())["conversations"] == 3
    for extra in ({"team_id": world.team_b.id}, {"operator_id": world.op_b.id}):
        resp = await client.get("/api/v1/reports/metrics", params={**period, **extra}, headers=h)
        assert resp.status == 404
    resp = await client.get("/api/v1/reports/metrics", params=period, headers=world.h(world.op_a))
    assert resp.status == 403
    bad = await client.get("/api/v1/reports/metrics", params={"since": "yesterday"}, headers=h)
    assert bad.status == 422
    assert "error" in await bad.json()


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def test_the_conversations_csv_equals_the_json_answer(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink() as sink:
        world, _, period = await scenario(client, hub, clock, sink.url)
    h = world.h(world.manager_a)
    answer = await (
        await client.get("/api/v1/reports/conversations", params=period, headers=h)
    ).json()
    resp = await client.get("/api/v1/reports/conversations.csv", params=period, headers=h)
    assert resp.content_type == "text/csv"
    table = list(csv.reader(io.StringIO(await resp.text())))
    assert table[0] == answer["columns"]
    expected = [[_json_cell(item[c]) for c in answer["columns"]] for item in answer["items"]]
    assert table[1:] == expected
    assert len(expected) == 3
    assert {row[answer["columns"].index("missed")] for row in table[1:]} == {"true", "false"}


async def test_the_metrics_csv_equals_the_json_answer(
    client: Client, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink() as sink:
        world, _, period = await scenario(client, hub, clock, sink.url)
    h = world.h(world.admin)
    answer = await (await client.get("/api/v1/reports/metrics", params=period, headers=h)).json()
    resp = await client.get("/api/v1/reports/metrics.csv", params=period, headers=h)
    table = list(csv.reader(io.StringIO(await resp.text())))
    assert table[0] == ["metric", "hours", "count", "avg", "p50", "p90", "p95"]
    expected = [
        [name, hours, *(_json_cell(timed[hours][c]) for c in ("count", "avg", "p50", "p90", "p95"))]
        for name, timed in answer["metrics"].items()
        for hours in ("calendar", "business")
    ]
    assert table[1:] == expected
    heat = await client.get("/api/v1/reports/heatmap.csv", params=period, headers=h)
    cells = list(csv.reader(io.StringIO(await heat.text())))
    assert cells[1:] == [
        [str(c["weekday"]), str(c["hour"]), str(c["conversations"])] for c in answer["heatmap"]
    ]


async def test_a_manager_reads_the_operators_and_teams_of_their_scope(
    client: Client, hub: Hub
) -> None:
    world = await make_world(hub)
    h = world.h(world.manager_a)
    operators = await client.get("/api/v1/operators", headers=h)
    assert operators.status == 200
    ids = {o["id"] for o in (await operators.json())["items"]}
    assert ids == {world.manager_a.id, world.op_a.id, world.op_a2.id}
    teams = await (await client.get("/api/v1/teams", headers=h)).json()
    assert [t["id"] for t in teams["items"]] == [world.team_a.id]
    assert (await client.get("/api/v1/operators", headers=world.h(world.op_a))).status == 403
    everyone = await (await client.get("/api/v1/operators", headers=world.h(world.admin))).json()
    assert len(everyone["items"]) == 5


async def test_the_conversation_list_filters_by_assignee(client: Client, hub: Hub) -> None:
    world = await make_world(hub)
    mine = await customer_writes(client, hub, world.line_a, "f-1", user_id="u-1")
    other = await customer_writes(client, hub, world.line_a, "f-2", user_id="u-2")
    await hub.conversations.set_assignee(
        mine,
        expected=None,
        assignee=world.op_a.id,
        team_id=world.team_a.id,
        hop=Hop(at=hub.clock.now(), to_operator=world.op_a.id, reason="manager"),
    )
    h = world.h(world.manager_a)
    resp = await client.get(
        "/api/v1/conversations", params={"assignee_id": world.op_a.id}, headers=h
    )
    assert resp.status == 200
    ids = [i["conversation"]["id"] for i in (await resp.json())["items"]]
    assert ids == [mine]
    assert other not in ids
    # Another team's operator: the audience still applies, nothing of theirs leaks.
    resp = await client.get(
        "/api/v1/conversations", params={"assignee_id": world.op_b.id}, headers=h
    )
    assert (await resp.json())["items"] == []


async def test_far_dates_are_a_422_not_a_500(client: Client, hub: Hub) -> None:
    world = await make_world(hub)
    h = world.h(world.admin)
    for params in (
        {"until": "9999-12-31T23:59:59-14:00"},
        {"since": "0001-01-01T00:00:00+14:00"},
        {"until": "0001-01-02T00:00:00Z"},
    ):
        resp = await client.get("/api/v1/reports/metrics", params=params, headers=h)
        assert resp.status == 422, params
        assert (await resp.json())["error"]["code"] == "invalid_request"
