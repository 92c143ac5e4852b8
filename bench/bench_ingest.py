"""Ingest over HTTP: signed API-channel webhooks to durable store, beside a bare floor.

The floor is a bare aiohttp handler that does one ``insert_one`` into the same database:
what any webhook endpoint costs on this machine and server. Both run in this process,
driven by the same aiohttp client at the same concurrency.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp.test_utils import TestServer

from bench.common import CONCURRENCY, Context, Row, drive, floor_rows, latency_row
from connectors.api.config import NEW_LINE_SCHEME, signed_headers
from inbox.domain.models import ChannelKind
from inbox.services.lines import LineAdmin
from inbox.web.app import build_app

SECTION = "Ingest: webhook to durable store (HTTP, in-process server)"


async def hub_rows(ctx: Context, count: int) -> list[Row]:
    settings = ctx.settings()
    app = build_app(settings)
    server = TestServer(app)
    await server.start_server()
    rows = []
    try:
        from inbox.web.keys import HUB

        hub = app[HUB]
        admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
        line = await admin.create(ChannelKind.API, "bench")
        secret = line.secret("secret")
        url = str(server.make_url(f"/webhooks/api/{line.id}"))
        async with aiohttp.ClientSession() as http:
            for conc in CONCURRENCY:

                async def post(i: int, conc: int = conc) -> None:
                    body = json.dumps(
                        {
                            "message_id": f"c{conc}-{i}",
                            "user": {"id": f"cust-{i % 100}", "name": "Bench"},
                            "text": "How much is shipping to Kyiv?",
                        }
                    ).encode()
                    headers = signed_headers(
                        secret, body, now=hub.clock.now().timestamp(), scheme=NEW_LINE_SCHEME
                    )
                    async with http.post(url, data=body, headers=headers) as resp:
                        resp.raise_for_status()

                latencies, elapsed = await drive(count, conc, post)
                rows.append(
                    latency_row(
                        SECTION,
                        f"hub: signed API webhook, c={conc}",
                        latencies,
                        elapsed,
                        note="verify + contact + thread + insert + conversation update",
                    )
                )
                await hub.drain_background(within_s=60)
        await hub.db.client.drop_database(settings.mongo_db)
    finally:
        await server.close()
    return rows


async def run(ctx: Context) -> list[Row]:
    count = 60 if ctx.quick else 600
    floor = await floor_rows(
        ctx, SECTION, count, lambda i, c: json.dumps({"i": i, "c": c}).encode()
    )
    return [*floor, *await hub_rows(ctx, count)]
