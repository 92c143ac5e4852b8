"""Instagram webhook to durable store over HTTP, beside a bare floor measured in the same run.

The floor is a bare aiohttp handler doing one ``insert_one`` into the same database. The
hub case posts real-shaped Instagram webhook bodies (one text message each, 100
customers, epoch-millisecond timestamps) signed with ``X-Hub-Signature-256`` to
``/webhooks/instagram/{line}``: HMAC check over the raw body, parse, contact upsert,
threading, insert and conversation update before the 200. The contact profile lookup
runs after the answer against the fake Graph API (``inbox.devfakes.instagram``). Both
are driven by one aiohttp client at concurrency 1, 10 and 50.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp.test_utils import TestServer

from bench.common import CONCURRENCY, Context, Row, drive, floor_rows, latency_row
from inbox.devfakes.instagram import ACCOUNT_ID, APP_SECRET, TOKEN, FakeInstagram, signature
from inbox.domain.models import ChannelKind
from inbox.services.lines import LineAdmin
from inbox.web.app import build_app
from inbox.web.keys import HUB

SECTION = "Instagram: webhook to durable store (HTTP, in-process server)"


def body(i: int, conc: int) -> bytes:
    item = {
        "sender": {"id": f"64000000{i % 100:08d}"},
        "recipient": {"id": ACCOUNT_ID},
        "timestamp": 1767225600000 + i,
        "message": {
            "mid": f"aWdfZAG1faXRlbTox-bench-{conc}-{i}",
            "text": "Доброго дня! Скільки коштує доставка до Києва?",
        },
    }
    event = {"object": "instagram", "entry": [{"id": ACCOUNT_ID, "time": 1767225600000 + i,
                                               "messaging": [item]}]}  # fmt: skip
    return json.dumps(event, separators=(",", ":")).encode()  # ASCII-escaped, as Meta sends


async def hub_rows(ctx: Context, count: int) -> list[Row]:
    settings = ctx.settings()
    app = build_app(settings)
    server = TestServer(app)
    await server.start_server()
    rows = []
    try:
        async with FakeInstagram() as fake:
            hub = app[HUB]
            admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
            line = await admin.create(
                ChannelKind.INSTAGRAM,
                "bench",
                credentials={
                    "app_secret": APP_SECRET,
                    "access_token": TOKEN,
                    "verify_token": "bench",
                },
                settings={"ig_id": ACCOUNT_ID, "api_base": fake.api_base},
            )
            url = str(server.make_url(f"/webhooks/instagram/{line.id}"))
            async with aiohttp.ClientSession() as http:
                for conc in CONCURRENCY:

                    async def post(i: int, conc: int = conc) -> None:
                        data = body(i, conc)
                        headers = {
                            "Content-Type": "application/json",
                            "X-Hub-Signature-256": signature(APP_SECRET, data),
                        }
                        async with http.post(url, data=data, headers=headers) as resp:
                            resp.raise_for_status()

                    latencies, elapsed = await drive(count, conc, post)
                    rows.append(
                        latency_row(
                            SECTION,
                            f"hub: Instagram message, c={conc}",
                            latencies,
                            elapsed,
                            note="HMAC + parse + contact + thread + insert + conversation update",
                        )
                    )
                    await hub.drain_background(within_s=60)
            stored = await hub.db["messages"].count_documents({})
            assert stored == count * len(CONCURRENCY), stored
            await hub.db.client.drop_database(settings.mongo_db)
    finally:
        await server.close()
    return rows


async def run(ctx: Context) -> list[Row]:
    count = 60 if ctx.quick else 400
    return [*await floor_rows(ctx, SECTION, count, body), *await hub_rows(ctx, count)]
