"""Shared fixtures: real SecantusDB and Valkey servers on free loopback ports.

One pair of servers per test session; each test gets its own database and Redis key
prefix, so tests never see each other's data.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from inbox.domain.clock import FrozenClock
from inbox.embedded import EmbeddedServers
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServers]:
    embedded = EmbeddedServers(tmp_path_factory.mktemp("embedded"), memory=True)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture
def settings(servers: EmbeddedServers, tmp_path: Path) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return Settings(
        mongo_url=SecretStr(servers.mongo_url),
        redis_url=SecretStr(servers.redis_url),
        mongo_db=f"test_{tag}",
        redis_prefix=f"t{tag}:",
        data_dir=tmp_path / "data",
        media_allow_networks=["127.0.0.0/8"],  # the fake platforms serve media on loopback
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def hub(settings: Settings, clock: FrozenClock) -> AsyncIterator[Hub]:
    async with open_hub(settings, clock=clock) as opened:
        yield opened
        await opened.db.client.drop_database(settings.mongo_db)
        keys = [k async for k in opened.redis.scan_iter(match=f"{settings.redis_prefix}*")]
        if keys:
            await opened.redis.delete(*keys)


def existing_hub(hub: Hub):  # type: ignore[no-untyped-def]
    """A hub factory for build_app that hands out an already open hub."""

    @contextlib.asynccontextmanager
    async def factory(_settings: Settings) -> AsyncIterator[Hub]:
        yield hub

    return factory


@pytest.fixture
async def app(hub: Hub) -> web.Application:
    return build_app(hub.settings, existing_hub(hub))


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """The environment for running ``inbox`` as a real process against the test servers."""
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    return {
        **os.environ,
        "INBOX_MONGO_URL": settings.mongo_url.get_secret_value(),
        "INBOX_REDIS_URL": settings.redis_url.get_secret_value(),
        "INBOX_MONGO_DB": settings.mongo_db,
        "INBOX_REDIS_PREFIX": settings.redis_prefix,
        "INBOX_LOG_LEVEL": "WARNING",
    }
