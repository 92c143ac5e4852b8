"""Fixtures of the CRM tests: a fake Bitrix24 portal and a hub (and web app) pushing to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from inbox.devfakes.bitrix24 import FakeBitrix24
from inbox.domain.clock import FrozenClock
from inbox.settings import Bitrix24Settings, CrmSettings, Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.conftest import existing_hub


@pytest.fixture
async def portal() -> AsyncIterator[FakeBitrix24]:
    fake = FakeBitrix24()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def b24_settings(settings: Settings, portal: FakeBitrix24) -> Settings:
    crm = CrmSettings(
        bitrix24=Bitrix24Settings(webhook_url=SecretStr(portal.webhook_url), max_wait_s=0.5)
    )
    return settings.model_copy(update={"crm": crm})


@pytest.fixture
async def b24hub(b24_settings: Settings, clock: FrozenClock) -> AsyncIterator[Hub]:
    async with open_hub(b24_settings, clock=clock) as opened:
        yield opened
        await opened.db.client.drop_database(b24_settings.mongo_db)


@pytest.fixture
async def b24client(b24hub: Hub) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = build_app(b24hub.settings, existing_hub(b24hub))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
