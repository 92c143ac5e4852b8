"""The web edge: who may read the probes, what the static route serves, the security
headers of every answer, and deadlines for slow clients."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from inbox.main import server_options
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub
from tests.conftest import existing_hub
from tests.helpers import api_body, make_line, signed


@contextlib.asynccontextmanager
async def serving(hub: Hub, **settings: object) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    own = hub.settings.model_copy(update=settings)
    app = build_app(own, existing_hub(dataclasses.replace(hub, settings=own)))
    server = TestServer(app)
    await server.start_server(**server_options(own))
    async with TestClient(server) as client:
        yield client


async def test_probes_answer_loopback_only_by_default(client: TestClient, hub: Hub) -> None:
    assert (await client.get("/readyz")).status == 200
    assert (await client.get("/metrics")).status == 200
    relayed = {"X-Forwarded-For": "203.0.113.9"}
    for path in ("/readyz", "/metrics"):
        resp = await client.get(path, headers=relayed)
        assert resp.status == 403, path
        assert (await resp.json())["error"]["code"] == "probe_forbidden"
    assert (await client.get("/healthz", headers=relayed)).status == 200


async def test_probes_follow_the_setting(hub: Hub) -> None:
    async with serving(hub, probes_allowed_from=("10.0.0.0/8",)) as client:
        for path in ("/readyz", "/metrics"):
            resp = await client.get(path)
            assert resp.status == 403, path
            assert b"inbox_webhooks_total" not in await resp.read()
    async with serving(hub, probes_allowed_from=("0.0.0.0/0", "::/0")) as client:
        resp = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert resp.status == 200


async def test_static_serves_only_the_page_assets(client: TestClient) -> None:
    assert (await client.get("/static/app.js")).status == 200
    assert (await client.get("/static/style.css")).status == 200
    for name in ("__init__.py", "..%2F__init__.py", ".hidden", "app.js.map"):
        resp = await client.get(f"/static/{name}")
        assert resp.status == 404, name


async def test_every_answer_has_nosniff_and_https_ones_hsts(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    body = api_body("m-1")
    answers = [
        await client.get("/healthz"),
        await client.get("/api/v1/me"),
        await client.get("/nope"),
        await client.post(f"/webhooks/api/{line.id}", data=body, headers=signed(line, body, hub)),
        await client.get("/static/app.js"),
    ]
    for resp in answers:
        assert resp.headers["X-Content-Type-Options"] == "nosniff", resp.url
        assert "Strict-Transport-Security" not in resp.headers, resp.url
    resp = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_a_body_that_trickles_in_is_cut_off_with_408(hub: Hub) -> None:
    line = await make_line(hub)
    async with serving(hub, body_timeout_s=0.3) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(
            f"POST /webhooks/api/{line.id} HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 1000\r\n\r\n{".encode()
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), 10)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert await hub.db["messages"].count_documents({}) == 0


async def test_headers_that_never_finish_close_the_connection(hub: Hub) -> None:
    async with serving(hub, header_timeout_s=0.3) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        await writer.drain()
        sent = 0
        with contextlib.suppress(ConnectionError):
            while sent < 100 and not reader.at_eof():  # a slowloris client trickles on
                await asyncio.sleep(0.05)
                writer.write(b"a")
                await writer.drain()
                sent += 1
        answer = b""
        with contextlib.suppress(ConnectionError):
            answer = await asyncio.wait_for(reader.read(4096), 10)
        writer.close()
    assert sent < 100  # the server hung up although bytes kept coming
    assert answer == b""  # and never answered


def test_probe_networks_are_checked_when_settings_load() -> None:
    with pytest.raises(ValidationError):
        Settings(probes_allowed_from=("not-a-network",), _env_file=None)  # type: ignore[call-arg]
    loaded = Settings(probes_allowed_from=(" 10.1.2.3/8 ", "::1"), _env_file=None)  # type: ignore[call-arg]
    assert loaded.probes_allowed_from == ("10.0.0.0/8", "::1/128")
