"""Telegram, Viber and Instagram in ``inbox demo``, without real tokens.

Starts the fake Bot API and the fake Viber API (``inbox.devfakes``), points a demo line of
each kind at them (the per-line ``api_base``), registers the lines the real way (getMe +
setWebhook; set_webhook with Viber's signed verification callback) and, on the first run,
has a few customers write in through the fakes' webhook pushes. Operator replies then go
out through the real connectors to the fakes; the fake Viber reports them delivered and
seen. Each start re-registers the lines, because the fakes listen on new ports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from inbox.devfakes.instagram import ACCOUNT_ID as IG_ACCOUNT
from inbox.devfakes.instagram import APP_SECRET as IG_SECRET
from inbox.devfakes.instagram import TOKEN as IG_TOKEN
from inbox.devfakes.instagram import FakeInstagram
from inbox.devfakes.telegram import FakeTelegram
from inbox.devfakes.viber import FakeViber
from inbox.domain.models import ChannelKind, Line
from inbox.services.lines import LineAdmin, webhook_url
from inbox.wiring import Hub, hub_of

log = structlog.get_logger(__name__)

TG_TOKEN = "700000001:DEMO-fake-telegram-token"  # noqa: S105 - only the local fake knows it
VIBER_TOKEN = "4a1b2c3d4e5f6a7b-8c9d0e1f2a3b4c5d-6e7f8a9b0c1d2e3f"  # noqa: S105 - fake too
TG_NAME = "Demo Telegram bot"
VIBER_NAME = "Demo Viber bot"
IG_NAME = "Demo Instagram shop"
IG_VERIFY = "demo-verify-token"
# (customer id, name, username, what they send: a DM with an ig.me ref, a story reply, a comment)
IG_SAMPLES: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("6400000000000101", "Kateryna", "katya.home", "dm", {"text": "Hi! Do you ship to Lviv?",
     "referral": {"ref": "ig_bio_link", "source": "IGME", "type": "OPEN_THREAD"}}),
    ("6400000000000202", "Marco", "marco.design", "dm", {"text": "Love this lamp!",
     "reply_to": {"story": {"id": "18011111111111111", "url": "https://example.invalid/story"}}}),
    ("6400000000000303", "Lena", "lena.b", "comment", {"text": "How much is the blue armchair?"}),
]  # fmt: skip

TG_SAMPLES: list[tuple[int, str, str, str, dict[str, Any]]] = [
    (700100200, "Olena", "uk", "/start ad_spring_sale", {}),
    (700100200, "Olena", "uk", "Доброго дня! Диван «Берлін» є в наявності?", {}),
    (700100311, "Andrii", "uk", "Where is my order #A-1029?", {}),
    (700100422, "Maria", "en", "", {"location": {"latitude": 50.4501, "longitude": 30.5234}}),
]
VIBER_SAMPLES = [
    ("pRq7XkD0vBf3hLw9Sg2n0A==", "Ivan P", "Добрий день, потрібна допомога з доставкою"),
    ("Yx4mN8cQe1TzK6uJ5bHa2w==", "Sofia M", "Can I pay by invoice?"),
]


async def _line(
    hub: Hub, kind: ChannelKind, name: str, token: str, api_base: str
) -> tuple[Line, bool]:
    existing = next((x for x in await hub.lines.list() if x.kind is kind and x.name == name), None)
    if existing is None:
        admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
        line = await admin.create(
            kind,
            name,
            credentials={"token": token},
            settings={"api_base": api_base},
            welcome_text="Вітаємо! Welcome to the demo shop."
            if kind is ChannelKind.VIBER
            else None,
        )
        return line, True
    line = existing.model_copy(update={"settings": {**existing.settings, "api_base": api_base}})
    return await hub.lines.replace(line), False


async def _register(hub: Hub, line: Line, base_url: str) -> None:
    line = await hub.connectors.get(line.kind).register(line, webhook_url(base_url, line))
    await hub.lines.replace(line)


async def _wait_listening(base_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"{base_url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def _customers_write(tg: FakeTelegram, viber: FakeViber) -> None:
    for chat_id, name, lang, text, content in TG_SAMPLES:
        update = tg.private_message(
            chat_id, text or None, first_name=name, language_code=lang, **content
        )
        await tg.push(TG_TOKEN, update)
    for user_id, name, text in VIBER_SAMPLES:
        started = viber.user_event("conversation_started", user_id, name=name, type="open",
                                   subscribed=False, context="demo_qr_code")  # fmt: skip
        await viber.push(VIBER_TOKEN, started)
        await viber.push(VIBER_TOKEN, viber.message_event(user_id, text, name=name))


async def _instagram(hub: Hub, base_url: str, ig: FakeInstagram) -> Line:
    """The demo's Instagram line on the fake Graph API; its customers write on first run."""
    existing = next((x for x in await hub.lines.list() if x.kind is ChannelKind.INSTAGRAM), None)
    settings = {"ig_id": IG_ACCOUNT, "api_base": ig.api_base, "human_agent": True}
    if existing is None:
        admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
        credentials = {"app_secret": IG_SECRET, "access_token": IG_TOKEN, "verify_token": IG_VERIFY}
        line = await admin.create(
            ChannelKind.INSTAGRAM, IG_NAME, credentials=credentials, settings=settings
        )
    else:
        line = await hub.lines.replace(
            existing.model_copy(update={"settings": {**existing.settings, **settings}})
        )
    await _register(hub, line, base_url)
    ig.webhook_url = webhook_url(base_url, line)
    for user, name, username, _, _ in IG_SAMPLES:
        ig.profiles[user] = {"name": name, "username": username}
    if existing is None:
        for user, _, username, kind, content in IG_SAMPLES:
            if kind == "comment":
                event = ig.envelope(changes=[ig.comment(user, content["text"], username=username)])
            else:
                event = ig.envelope(ig.message(user, **content))
            await ig.push(event)
    return line


async def _set_up(
    app: web.Application,
    base_url: str,
    tg: FakeTelegram,
    viber: FakeViber,
    ig: FakeInstagram | None = None,
) -> None:
    await _wait_listening(base_url)
    hub = hub_of(app)
    tg_line, tg_new = await _line(hub, ChannelKind.TELEGRAM, TG_NAME, TG_TOKEN, tg.base_url)
    viber_line, viber_new = await _line(
        hub, ChannelKind.VIBER, VIBER_NAME, VIBER_TOKEN, viber.api_base
    )
    await _register(hub, tg_line, base_url)
    await _register(hub, viber_line, base_url)
    if tg_new or viber_new:
        await _customers_write(tg, viber)
    text = (
        f"  Fake Telegram Bot API: {tg.base_url}  (line {tg_line.id})\n"
        f"  Fake Viber API:        {viber.api_base}  (line {viber_line.id})\n"
    )
    if ig is not None:
        ig_line = await _instagram(hub, base_url, ig)
        text += (
            f"  Fake Instagram Graph:  {ig.api_base}  (line {ig_line.id})\n"
            f"  Make an Instagram customer write:\n"
            f"    curl -X POST {ig.base_url}/demo/write "
            f'-d \'{{"user": "{IG_SAMPLES[0][0]}", "text": "Are you open today?"}}\'\n'
        )
    print(text, flush=True)


def channel_fakes(app: web.Application, base_url: str) -> None:
    """Add the fakes and the demo lines to the demo app's lifetime."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        tg = FakeTelegram()
        viber = FakeViber(receipts=True)
        ig = FakeInstagram(echoes=True, receipts=True)
        await tg.start()
        await viber.start()
        await ig.start()
        task = asyncio.create_task(_set_up(app, base_url, tg, viber, ig))
        task.add_done_callback(
            lambda t: (
                t.cancelled()
                or t.exception() is None
                or log.error("demo_channels_failed", error=repr(t.exception()))
            )
        )
        yield
        task.cancel()
        await tg.close()
        await viber.close()
        await ig.close()

    app.cleanup_ctx.append(ctx)
