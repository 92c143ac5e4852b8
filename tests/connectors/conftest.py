"""Fake Telegram and Viber platforms on free ports, one pair per test that asks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from inbox.devfakes.instagram import FakeInstagram
from inbox.devfakes.telegram import FakeTelegram
from inbox.devfakes.viber import FakeViber


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def fake_viber() -> AsyncIterator[FakeViber]:
    async with FakeViber() as fake:
        yield fake


@pytest.fixture
async def fake_instagram() -> AsyncIterator[FakeInstagram]:
    async with FakeInstagram() as fake:
        yield fake
