"""Instagram lines pointed at the fake Graph API, and webhooks posted as Meta posts them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import ACCOUNT_ID, APP_SECRET, TOKEN, signature
from inbox.domain.models import ChannelKind, Line
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
