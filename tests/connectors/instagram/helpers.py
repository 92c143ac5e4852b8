"""Instagram lines pointed at the fake Graph API, and webhooks posted as Meta posts them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import ACCOUNT_ID, APP_SECRET, TOKEN, FakeInstagram, signature
from inbox.domain.models import ChannelKind, Line, Message
from inbox.wiring import Hub
from tests.helpers import make_line

VERIFY_TOKEN = "verify-me"
CUSTOMER = "6400000000000001"


async def instagram_line(hub: Hub, api_base: str = "http://127.0.0.1:9/v23.0", **kw: Any) -> Line:
    settings = {"ig_id": ACCOUNT_ID, "api_base": api_base, **kw.pop("settings", {})}
    credentials = {
        "app_secret": APP_SECRET,
        "access_token": TOKEN,
        "verify_token": VERIFY_TOKEN,
        **kw.pop("credentials", {}),
    }
    return await make_line(
        hub, ChannelKind.INSTAGRAM, credentials=credentials, settings=settings, **kw
    )


async def post_instagram(
    client: TestClient,  # type: ignore[type-arg]
    line: Line,
    body: bytes | dict[str, Any],
    *,
    secret: str = APP_SECRET,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(secret, data)}
    if headers is not None:
        sent = headers
    resp = await client.post(f"/webhooks/instagram/{line.id}", data=data, headers=sent)
    text = await resp.text()
    try:
        return resp.status, json.loads(text)
    except json.JSONDecodeError:
        return resp.status, text


async def customer_writes(
    hub: Hub, fake: FakeInstagram, text: str = "Hi! Is the sofa in stock?"
) -> Message:
    item = fake.message(CUSTOMER, text)
    status, _ = await fake.push(fake.envelope(item))
    assert status == 200
    stored = await hub.messages.get_by_external(
        (await hub.lines.list())[0].id, item["message"]["mid"]
    )
    assert stored is not None
    return stored


async def setup(
    hub: Hub, client: TestClient, fake: FakeInstagram, **kw: Any
) -> tuple[Line, Message]:  # type: ignore[type-arg]
    line = await instagram_line(hub, fake.api_base, **kw)
    fake.webhook_url = str(client.make_url(f"/webhooks/instagram/{line.id}"))
    return line, await customer_writes(hub, fake)


async def send(
    hub: Hub, inbound: Message, text: str | None, operator: str | None = "op-1", **kw: Any
) -> Message:
    outgoing = await hub.replier.reply(inbound.conversation_id, operator, text, **kw)
    result = await hub.sender.attempt(outgoing.id)
    assert result is not None
    return result
