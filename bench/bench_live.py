"""Live updates: time from the webhook's 2xx to the event on open operator WebSockets.

One web server (the real app on a loopback port) with 50 operators connected over
WebSocket; customer messages are posted to the signed API-channel webhook at a fixed
50 messages/s (open loop: a slow answer does not slow the sender). For every message and
every socket, the latency is the socket's receive time minus the time the webhook call
returned 2xx. Everything (server, 50 clients, sender) runs in this one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bench.common import Context, Row, latency_row
from connectors.api.config import NEW_LINE_SCHEME, signed_headers
from inbox.domain.events import Event
from inbox.domain.models import ChannelKind, Operator, Role, RoutingRules, RoutingStrategy, Team
from inbox.services.lines import LineAdmin
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub

SECTION = "Live updates (webhook 2xx -> WebSocket)"
OPERATORS = 50
RATE = 50.0


async def _seed(hub: Hub) -> tuple[Any, list[str]]:
    now = hub.clock.now()
    team = Team(name="Bench", created_at=now)
    await hub.teams.add(team)
    admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
    line = await admin.create(
        ChannelKind.API,
        "bench",
        routing=RoutingRules(team_id=team.id, strategy=RoutingStrategy.MANUAL),
    )
    tokens = []
    for n in range(OPERATORS):
        operator = Operator(
            login=f"op{n}", name=f"Op {n}", role=Role.OPERATOR, teams=(team.id,), created_at=now
        )
        await hub.operators.add(operator, None)
        tokens.append((await hub.tokens.issue(operator.id, "bench", now))[1])
    return line, tokens


class Arrivals:
    """Receive times per message; ``complete`` is set once every socket got every one."""

    def __init__(self, expected: int) -> None:
        self.times: dict[str, list[float]] = {}
        self.count = 0
        self.expected = expected
        self.complete = asyncio.Event()

    def add(self, external_id: str) -> None:
        self.times.setdefault(external_id, []).append(time.perf_counter())
        self.count += 1
        if self.count >= self.expected:
            self.complete.set()


async def _listen(ws: aiohttp.ClientWebSocketResponse, arrivals: Arrivals) -> None:
    async for msg in ws:
        if msg.type is not aiohttp.WSMsgType.TEXT:
            continue
        event = msg.json()
        if event.get("type") == "message.created":
            arrivals.add(event["data"]["message"]["external_id"])


async def measure(
    settings: Settings, count: int, *, direct: bool = False, rate: float = RATE
) -> tuple[list[float], float, int, int]:
    """Latencies of ``count`` messages to every socket; ``direct`` publishes the events
    straight to the stream (the floor: no webhook, no MongoDB)."""

    @contextlib.asynccontextmanager
    async def same(_s: Settings) -> AsyncIterator[Hub]:
        yield hub

    async with open_hub(settings) as hub:
        line, tokens = await _seed(hub)
        server = TestServer(build_app(settings, same))
        await server.start_server()
        arrivals = Arrivals(count * OPERATORS)
        answered: dict[str, float] = {}
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            sockets = []
            for token in tokens:
                ws = await http.ws_connect(
                    server.make_url("/api/v1/ws"), headers={"Authorization": f"Bearer {token}"}
                )
                hello = await ws.receive_json()
                assert hello["type"] == "hello"
                sockets.append(ws)
            listeners = [asyncio.create_task(_listen(ws, arrivals)) for ws in sockets]
            url = server.make_url(f"/webhooks/api/{line.id}")
            secret = line.secret("secret")

            async def publish(n: int) -> None:
                event = Event(
                    type="message.created",
                    at=hub.clock.now(),
                    conversation_id=f"c{n % 40}",
                    team_id=line.routing.team_id,
                    data={"message": {"external_id": f"b-{n}", "text": f"message {n}"}},
                )
                await hub.publisher.publish(event)
                answered[f"b-{n}"] = time.perf_counter()

            async def post(n: int) -> None:
                external_id = f"b-{n}"
                user = {"id": f"u{n % 40}", "name": f"C{n % 40}"}
                body = json.dumps(
                    {"message_id": external_id, "user": user, "text": f"message {n}"}
                ).encode()
                headers = signed_headers(
                    secret, body, now=hub.clock.now().timestamp(), scheme=NEW_LINE_SCHEME
                )
                async with http.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 200:
                        answered[external_id] = time.perf_counter()

            started = time.perf_counter()
            posts = []
            for n in range(count):
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                posts.append(asyncio.create_task(publish(n) if direct else post(n)))
            await asyncio.gather(*posts)
            elapsed = time.perf_counter() - started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrivals.complete.wait(), 30)
            for ws in sockets:
                await ws.close()
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
        await server.close()
        await hub.drain_background()
        latencies = [
            arrived - answered[eid]
            for eid, times in arrivals.times.items()
            if eid in answered
            for arrived in times
        ]
        await hub.db.client.drop_database(settings.mongo_db)
        return latencies, elapsed, arrivals.count, arrivals.expected


async def run(ctx: Context) -> list[Row]:
    count = 100 if ctx.quick else 500
    rows = []
    for direct, case, rate in [
        (True, "floor: event XADDed directly, no webhook", RATE),
        (False, "webhook 2xx -> event", RATE),
        (False, "webhook 2xx -> event", RATE / 2),
    ]:
        latencies, elapsed, delivered, expected = await measure(
            ctx.settings(), count, direct=direct, rate=rate
        )
        row = latency_row(
            SECTION,
            f"{case}; {OPERATORS} sockets, {rate:.0f} msg/s offered",
            latencies,
            elapsed,
            note=f"{count} messages; {delivered}/{expected} socket deliveries; one process",
        )
        row.rate = round(count / elapsed, 1)  # messages per second actually accepted
        row.extra = {"deliveries": delivered, "expected": expected}
        rows.append(row)
    return rows
