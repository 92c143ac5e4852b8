"""``inbox demo``'s Telegram and Viber part: fakes, registered lines, customers writing in."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.demo_channels import TG_SAMPLES, VIBER_SAMPLES, _set_up
from inbox.devfakes.telegram import FakeTelegram
from inbox.devfakes.viber import FakeViber
from inbox.domain.models import ChannelKind
from inbox.wiring import Hub
from tests.channels import public_url


async def test_demo_shows_telegram_and_viber_conversations_and_survives_a_restart(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
) -> None:
    for run in range(2):  # the second start finds its lines and re-registers them
        async with FakeTelegram() as tg, FakeViber() as viber:
            await _set_up(client.app, public_url(client), tg, viber)
            assert len(tg.webhooks) == 1
            assert len(viber.webhooks) == 1
        lines = await hub.lines.list()
        assert sorted(x.kind.value for x in lines) == ["telegram", "viber"], run
    conversations = await hub.conversations.list()
    by_channel = {k: [c for c in conversations if c.channel is k] for k in ChannelKind}
    assert len(by_channel[ChannelKind.TELEGRAM]) == len({s[0] for s in TG_SAMPLES})
    assert len(by_channel[ChannelKind.VIBER]) == len(VIBER_SAMPLES)
    sources = {c.source for c in by_channel[ChannelKind.TELEGRAM]}
    assert "ad_spring_sale" in sources  # the /start deep link
