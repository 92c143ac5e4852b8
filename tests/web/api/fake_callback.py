"""A small aiohttp app on port 0 standing in for an API-channel customer system: it
receives signed reply callbacks and answers like a real receiver would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@asynccontextmanager
async def callback_server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """Yields (callback URL, list of received payloads)."""
    received: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        assert request.headers["X-Inbox-Signature"].startswith("sha256=")
        received.append(payload)
        return web.json_response({"id": f"ext-{payload['message_id']}"})

    app = web.Application()
    app.router.add_post("/replies", receive)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("/replies")), received
    finally:
        await server.close()
