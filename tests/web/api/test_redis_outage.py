"""Valkey goes away and comes back: the API says 503 meanwhile and recovers at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from inbox.embedded import EmbeddedServers
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.conftest import existing_hub
from tests.web.api.support import PASSWORD, make_operator, token_for

LOGIN = "/api/v1/auth/login"


class Valkey:
    """An own Valkey on a fixed port, to stop and start again (empty) mid-test."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._runs = 0
        self.port = 0
        self.servers = self.start()

    def start(self) -> EmbeddedServers:
        self._runs += 1
        servers = EmbeddedServers(
            self._workdir / f"run{self._runs}", memory=True, redis_port=self.port
        )
        servers.start(mongo=False)
        self.port = servers.children[0].port
        self.servers = servers
        return servers

    def stop(self) -> None:
        self.servers.stop()


@pytest.fixture
async def outage(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[Valkey, Hub, TestClient[Any, Any]]]:
    valkey = Valkey(tmp_path)
    own = settings.model_copy(update={"redis_url": SecretStr(valkey.servers.redis_url)})
    try:
        async with (
            open_hub(own) as hub,
            TestClient(TestServer(build_app(own, existing_hub(hub)))) as client,
        ):
            yield valkey, hub, client
            await hub.db.client.drop_database(own.mongo_db)
    finally:
        valkey.stop()


async def _unavailable(resp: Any) -> None:
    assert resp.status == 503, await resp.text()
    assert (await resp.json())["error"]["code"] == "unavailable"
    assert int(resp.headers["Retry-After"]) > 0


async def test_login_session_and_presence_answer_503_then_recover(
    outage: tuple[Valkey, Hub, TestClient[Any, Any]],
) -> None:
    valkey, hub, client = outage
    anna = await make_operator(hub, "anna")
    bearer = await token_for(hub, anna)
    creds = {"login": "anna", "password": PASSWORD}
    assert (await client.post(LOGIN, json=creds)).status == 200
    presence = {"status": "online"}
    assert (await client.post("/api/v1/me/presence", json=presence, headers=bearer)).status == 200

    valkey.stop()
    await _unavailable(await client.post(LOGIN, json=creds))
    await _unavailable(await client.get("/api/v1/me"))  # the cookie session lives in Redis
    await _unavailable(await client.post("/api/v1/me/presence", json=presence, headers=bearer))

    valkey.start()  # the same port, empty: pooled connections still point at the old one
    assert (await client.post("/api/v1/me/presence", json=presence, headers=bearer)).status == 200
    assert (await client.get("/api/v1/me")).status == 401  # the session went with the data
    assert (await client.post(LOGIN, json=creds)).status == 200
    assert (await client.get("/api/v1/me")).status == 200
