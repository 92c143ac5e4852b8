"""The live socket: fan-out across two web processes sharing Redis and MongoDB, audience
filtering, catch-up after a reconnect without gaps or doubles, collision warnings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.helpers import api_body, post_api
from tests.web.api.support import customer_writes, login, make_world

EPHEMERAL = {"typing", "viewing", "presence"}


@asynccontextmanager
async def web_process(hub: Hub) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """Another web process: its own Hub (own Mongo and Redis clients) on the same data."""
    async with TestClient(TestServer(build_app(hub.settings, open_hub))) as client:
        yield client


async def next_event(ws: ClientWebSocketResponse, *types: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=15)
        if not types or frame["type"] in types:
            return frame


async def test_fan_out_across_two_web_processes(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    async with web_process(hub) as proc_a, web_process(hub) as proc_b:
        ws_anna = await proc_a.ws_connect("/api/v1/ws", headers=world.h(world.op_a))
        ws_boris = await proc_a.ws_connect("/api/v1/ws", headers=world.h(world.op_b))
        ws_manager = await proc_b.ws_connect("/api/v1/ws", headers=world.h(world.manager_a))
        for ws in (ws_anna, ws_boris, ws_manager):
            assert (await next_event(ws))["type"] == "hello"
        # The customer's message enters through process B; anna listens on process A.
        status, _ = await post_api(proc_b, world.line_a, api_body("live-1", text="Anyone there?"))
        assert status == 200
        for ws in (ws_anna, ws_manager):
            event = await next_event(ws, "message.created")
            assert event["data"]["message"]["text"] == "Anyone there?"
            assert event["team_id"] == world.team_a.id
        # boris (other team) gets nothing of it: his first event is his own team's message.
        await post_api(proc_b, world.line_b, api_body("live-2", user_id="b", text="Support?"))
        event = await next_event(ws_boris, "message.created", "conversation.created")
        assert event["team_id"] == world.team_b.id
        # A reply from process B shows up with its delivery status on process A.
        conv = (await hub.messages.get_by_external(world.line_a.id, "live-1")).conversation_id  # type: ignore[union-attr]
        resp = await proc_b.post(
            f"/api/v1/conversations/{conv}/messages",
            json={"text": "Yes!"},
            headers=world.h(world.op_a),
        )
        assert resp.status == 201
        event = await next_event(ws_anna, "message.created")
        assert event["data"]["message"]["text"] == "Yes!"
        status_event = await next_event(ws_anna, "message.status")
        assert status_event["data"]["status"] == "failed"  # the line has no callback URL
        for ws in (ws_anna, ws_boris, ws_manager):
            await ws.close()


async def test_catch_up_after_reconnect_without_gaps_or_doubles(
    client: TestClient, hub: Hub
) -> None:
    world = await make_world(hub)
    async with web_process(hub) as proc_a, web_process(hub) as proc_b:
        ws = await proc_a.ws_connect("/api/v1/ws", headers=world.h(world.op_a))
        await next_event(ws, "hello")
        await customer_writes(proc_b, hub, world.line_a, "cu-1", text="first")
        first = await next_event(ws, "message.created")
        await ws.close()
        # While anna is away, two more messages arrive.
        await customer_writes(proc_b, hub, world.line_a, "cu-2", text="second")
        await customer_writes(proc_b, hub, world.line_a, "cu-3", text="third")
        ws = await proc_b.ws_connect(
            "/api/v1/ws", params={"last_event_id": first["id"]}, headers=world.h(world.op_a)
        )
        await next_event(ws, "hello")
        seen = [await next_event(ws, "message.created") for _ in range(2)]
        assert [e["data"]["message"]["text"] for e in seen] == ["second", "third"]
        await customer_writes(proc_a, hub, world.line_a, "cu-4", text="fourth")
        live = await next_event(ws, "message.created")
        assert live["data"]["message"]["text"] == "fourth"
        ids = [first["id"], *(e["id"] for e in seen), live["id"]]
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
        assert len(set(ids)) == 4
        await ws.close()
        # An id older than the stream keeps asks the page to reload instead.
        ws = await proc_a.ws_connect(
            "/api/v1/ws", params={"last_event_id": "1-0"}, headers=world.h(world.op_a)
        )
        await next_event(ws, "hello")
        assert (await next_event(ws))["type"] == "resync"
        await ws.close()


async def test_typing_warns_others_in_the_same_conversation(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    conv = await customer_writes(client, hub, world.line_a, "ty-1")
    async with web_process(hub) as proc_a, web_process(hub) as proc_b:
        ws_anna = await proc_a.ws_connect("/api/v1/ws", headers=world.h(world.op_a))
        ws_andriy = await proc_b.ws_connect("/api/v1/ws", headers=world.h(world.op_a2))
        ws_boris = await proc_b.ws_connect("/api/v1/ws", headers=world.h(world.op_b))
        for ws in (ws_anna, ws_andriy, ws_boris):
            await next_event(ws, "hello")
        await ws_anna.send_json({"type": "viewing", "conversation_id": conv})
        await ws_anna.send_json({"type": "typing", "conversation_id": conv})
        viewing = await next_event(ws_andriy, "viewing")
        typing = await next_event(ws_andriy, "typing")
        assert viewing["data"]["operator_id"] == typing["data"]["operator_id"] == world.op_a.id
        # boris may not even know the conversation exists: typing there is refused for him.
        await ws_boris.send_json({"type": "typing", "conversation_id": conv})
        assert (await next_event(ws_boris, "error"))["for"] == "typing"
        await ws_boris.send_json({"type": "presence", "status": "away"})
        presence = await next_event(ws_andriy, "presence")
        assert presence["data"] == {"operator_id": world.op_b.id, "status": "away"}
        resp = await proc_a.post(
            "/api/v1/me/presence", json={"status": "offline"}, headers=world.h(world.op_a)
        )
        assert resp.status == 200
        # The next presence event is anna's: one event per change (the router's, which
        # also reports heartbeat timeouts), not a second copy of boris's.
        presence = await next_event(ws_andriy, "presence")
        assert presence["data"] == {"operator_id": world.op_a.id, "status": "offline"}
        # Typing never takes room in the stream that reconnecting pages catch up from;
        # presence changes are in it (rare, and the router's timeouts need it) but are
        # not replayed to a reconnecting page.
        stored = await hub.redis.xrange(hub.publisher.stream)
        assert not [e for _, e in stored if b'"type":"typing"' in e[b"e"]]
        for ws in (ws_anna, ws_andriy, ws_boris):
            await ws.close()


async def test_socket_needs_auth_and_same_origin_for_cookies(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    with pytest.raises(WSServerHandshakeError) as anonymous:
        await client.ws_connect("/api/v1/ws")
    assert anonymous.value.status == 401
    await login(client, world.op_a.login)
    with pytest.raises(WSServerHandshakeError) as foreign:
        await client.ws_connect("/api/v1/ws", headers={"Origin": "https://evil.example"})
    assert foreign.value.status == 403
    ws = await client.ws_connect(
        "/api/v1/ws", headers={"Origin": str(client.make_url("/")).rstrip("/")}
    )
    assert (await next_event(ws))["type"] == "hello"
    await ws.close()
