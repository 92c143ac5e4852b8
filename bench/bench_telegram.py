"""Telegram webhook to durable store over HTTP, beside a bare floor measured in the same run.

The floor is a bare aiohttp handler doing one ``insert_one`` into the same database. The
hub case posts real Telegram updates (private-chat text, 100 customers) with the secret
header to ``/webhooks/telegram/{line}``: secret check, parse, contact upsert, threading,
insert and conversation update before the 200. Both are driven by one aiohttp client at
concurrency 1, 10 and 50.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp.test_utils import TestServer

from bench.common import CONCURRENCY, Context, Row, drive, floor_rows, latency_row
from inbox.domain.models import ChannelKind
from inbox.services.lines import LineAdmin
from inbox.web.app import build_app
from inbox.web.keys import HUB

SECTION = "Telegram: webhook to durable store (HTTP, in-process server)"
TOKEN = "123456789:BENCH-token"  # noqa: S105 - never leaves the process


def update(i: int, conc: int) -> bytes:
    chat = 700_000_000 + i % 100
    user = {"id": chat, "is_bot": False, "first_name": "Bench", "language_code": "uk"}
    return json.dumps(
        {
            "update_id": conc * 1_000_000 + i,
            "message": {
                "message_id": conc * 1_000_000 + i,
                "from": user,
                "chat": {"id": chat, "first_name": "Bench", "type": "private"},
                "date": 1767225600 + i,
                "text": "Добрий день! Скільки коштує доставка до Києва?",
            },
        },
        ensure_ascii=False,
    ).encode()


async def hub_rows(ctx: Context, count: int) -> list[Row]:
    settings = ctx.settings()
    app = build_app(settings)
    server = TestServer(app)
    await server.start_server()
    rows = []
    try:
        hub = app[HUB]
        admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
        line = await admin.create(ChannelKind.TELEGRAM, "bench", credentials={"token": TOKEN})
        headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": line.secret("secret"),
        }
        url = str(server.make_url(f"/webhooks/telegram/{line.id}"))
        async with aiohttp.ClientSession() as http:
            for conc in CONCURRENCY:

                async def post(i: int, conc: int = conc) -> None:
                    async with http.post(url, data=update(i, conc), headers=headers) as resp:
                        resp.raise_for_status()

                latencies, elapsed = await drive(count, conc, post)
                rows.append(
                    latency_row(
                        SECTION,
                        f"hub: Telegram update, c={conc}",
                        latencies,
                        elapsed,
                        note="secret + parse + contact + thread + insert + conversation update",
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
    return [*await floor_rows(ctx, SECTION, count, update), *await hub_rows(ctx, count)]
