"""Helpers for the Telegram and Viber tests: lines pointed at the fake platforms, posting
webhooks as the platforms do, and a one-line rendering of what the hub stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.devfakes.viber import signature
from inbox.domain.models import ChannelKind, Line, Message
from inbox.wiring import Hub
from tests.helpers import make_line

TG_TOKEN = "123456789:AAH-fake-token_for-tests"
VIBER_TOKEN = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f"
FIXTURES = Path(__file__).parent / "connectors"


def fixture(channel: str, name: str) -> bytes:
    return (FIXTURES / channel / "fixtures" / f"{name}.json").read_bytes()


async def telegram_line(hub: Hub, api_base: str = "http://127.0.0.1:9", **kw: Any) -> Line:
    settings = {"api_base": api_base, **kw.pop("settings", {})}
    return await make_line(
        hub, ChannelKind.TELEGRAM, credentials={"token": TG_TOKEN}, settings=settings, **kw
    )


async def viber_line(hub: Hub, api_base: str = "http://127.0.0.1:9/pa", **kw: Any) -> Line:
    settings = {"api_base": api_base, **kw.pop("settings", {})}
    credentials = kw.pop("credentials", {"token": VIBER_TOKEN})
    return await make_line(hub, ChannelKind.VIBER, credentials=credentials, settings=settings, **kw)


async def post_telegram(
    client: TestClient, line: Line, body: bytes | dict[str, Any], secret: str | None = None
) -> tuple[int, Any]:  # type: ignore[type-arg]
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    token = line.secret("secret") if secret is None else secret
    if token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = token
    resp = await client.post(f"/webhooks/telegram/{line.id}", data=data, headers=headers)
    return resp.status, await resp.json()


async def post_viber(
    client: TestClient, line: Line, body: bytes | dict[str, Any], token: str | None = None
) -> tuple[int, Any]:  # type: ignore[type-arg]
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Viber-Content-Signature": signature(token or line.secret("token"), data)}
    resp = await client.post(f"/webhooks/viber/{line.id}", data=data, headers=headers)
    return resp.status, await resp.json()


async def render(hub: Hub, message: Message) -> str:
    """One line: direction, external id, text, attachments, reply, source, edits."""
    out = f"{message.direction.value} {message.external_id} {message.text!r}"
    for a in message.attachments:
        ref = a.name or a.external_id or a.url or a.phone or a.title
        if a.latitude is not None:
            ref = f"{a.latitude},{a.longitude}"
        out += f" [{a.kind.value} {ref}]"
    venues = [a.title for a in message.attachments if a.latitude is not None and a.title]
    if venues:
        out += f" venue={venues[0]}"
    if message.reply_to_external_id:
        out += f" reply_to={message.reply_to_external_id}"
    conversation = await hub.conversations.get(message.conversation_id)
    if conversation.source:
        out += f" source={conversation.source}"
    if message.versions:
        out += f" versions={len(message.versions)}"
    return out


async def count(hub: Hub, collection: str) -> int:
    return await hub.db[collection].count_documents({})


async def published(hub: Hub, event_type: str) -> list[dict[str, Any]]:
    """Events of one type on the hub's live stream (what operators' browsers get)."""
    entries = await hub.redis.xrange(hub.publisher.stream)
    events = [json.loads(fields[b"e"]) for _, fields in entries]
    return [e for e in events if e["type"] == event_type]


def public_url(client: TestClient) -> str:  # type: ignore[type-arg]
    return str(client.make_url("")).rstrip("/")


async def registered_telegram(hub: Hub, client: TestClient, fake: Any, **kw: Any) -> Line:  # type: ignore[type-arg]
    """A Telegram line set up like ``inbox line add telegram``: getMe + setWebhook."""
    return await telegram_line(hub, fake.base_url, public_url=public_url(client), **kw)


async def registered_viber(hub: Hub, client: TestClient, fake: Any, **kw: Any) -> Line:  # type: ignore[type-arg]
    """A Viber line set up like ``inbox line add viber``: set_webhook, verified at once."""
    return await viber_line(hub, fake.api_base, public_url=public_url(client), **kw)
