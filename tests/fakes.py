"""A fake receiving system for the API channel's callback: records and scripts answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class CallbackSink:
    """Answers with the scripted statuses in order (then 200), recording each request."""

    script: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(json.loads(body))
        self.headers.append(dict(request.headers))
        status = self.script.pop(0) if self.script else 200
        if status == 429:
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": "7"}
            )
        if status >= 400:
            return web.json_response({"error": "scripted"}, status=status)
        return web.json_response({"id": f"remote-{len(self.received)}"})


@asynccontextmanager
async def callback_sink(script: list[int] | None = None) -> AsyncIterator[CallbackSink]:
    sink = CallbackSink(script=list(script or []))
    app = web.Application()
    app.router.add_post("/callback", sink.handle)
    server = TestServer(app)
    await server.start_server()
    sink.url = str(server.make_url("/callback"))
    try:
        yield sink
    finally:
        await server.close()
