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


async def test_demo_has_instagram_conversations_and_a_customer_who_writes_on_demand(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
) -> None:
    from inbox.demo_channels import IG_SAMPLES
    from inbox.devfakes.instagram import FakeInstagram

    for _ in range(2):  # a restart finds the line and does not write the samples again
        async with FakeTelegram() as tg, FakeViber() as viber, FakeInstagram() as ig:
            await _set_up(client.app, public_url(client), tg, viber, ig)
            assert "messages" in ig.subscribed
            await hub.drain_background()
            if _ == 1:
                async with ig.client.post(
                    f"{ig.base_url}/demo/write",
                    json={"user": IG_SAMPLES[0][0], "text": "Are you open today?"},
                ) as resp:
                    assert (await resp.json()) == {"webhook_status": 200}
                await hub.drain_background()
    conversations = [
        c for c in await hub.conversations.list() if c.channel is ChannelKind.INSTAGRAM
    ]
    assert len(conversations) == len(IG_SAMPLES)
    sources = {c.source for c in conversations}
    assert "ig_bio_link" in sources
    names = {(await hub.contacts.get(c.contact_id)).name for c in conversations}
    assert names == {name for _, name, _, _, _ in IG_SAMPLES}  # profiles fetched
    texts = [d["text"] async for d in hub.db["messages"].find({"channel": "instagram"})]
    assert texts.count("Are you open today?") == 1
    assert len(texts) == len(IG_SAMPLES) + 1
