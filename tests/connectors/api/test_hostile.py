"""Hostile but correctly signed API-channel requests: a clear 4xx or a stored message,
never a 5xx, and every refusal recorded in ``rejected_webhooks``."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.channels import count
from tests.helpers import api_body, make_line, post_api


async def test_deep_nesting_and_huge_numbers_are_a_clear_422(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    deep = b'{"message_id": "m", "user": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    huge = b'{"message_id": "m", "user": {"id": "u"}, "text": "x", "n": ' + b"7" * 5000 + b"}"
    for body in (deep, huge):
        status, answer = await post_api(client, line, body)
        assert status == 422, answer
        assert answer["error"]["code"] == "invalid_json"
    assert await count(hub, "rejected_webhooks") == 2
    assert await count(hub, "messages") == 0


async def test_sizes_beyond_int64_are_dropped(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    attachment = {"type": "document", "url": "https://example.com/a.pdf", "size": 2**70}
    status, _ = await post_api(client, line, api_body("m-1", attachments=[attachment]))
    assert status == 200
    stored = await hub.messages.get_by_external(line.id, "m-1")
    assert stored is not None
    assert stored.attachments[0].size is None


async def test_dates_at_the_edge_of_the_range(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    edges = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59",
             "0001-01-01T00:00:00Z", "2026-01-05T09:00:00"]  # fmt: skip
    for i, at in enumerate(edges):
        status, answer = await post_api(client, line, api_body(f"d-{i}", sent_at=at, edited_at=at))
        assert status == 200, (at, answer)
    assert await count(hub, "messages") == len(edges)
    naive = await hub.messages.get_by_external(line.id, "d-4")
    assert naive is not None
    assert naive.sent_at is not None
    assert naive.sent_at.utcoffset() is not None


async def test_lone_surrogates_are_replaced(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    raw = api_body("m-1", text="a X b", user_id="u-Y").decode()
    raw = raw.replace("X", "\\ud800").replace("Y", "\\udc00")
    status, answer = await post_api(client, line, raw.encode())
    assert status in (200, 422), answer
    if status == 200:
        stored = await hub.messages.get_by_external(line.id, "m-1")
        assert stored is not None
        assert stored.text == "a \ufffd b"


async def test_a_5002_digit_phone_is_not_kept(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    body = json.dumps(
        {"message_id": "m-1", "user": {"id": "u-1", "phone": "1" * 5002}, "text": "hi"}
    ).encode()
    status, _ = await post_api(client, line, body)
    assert status in (200, 422)
    doc = await hub.db["contacts"].find_one({})
    if doc is not None:
        assert doc["phones"] == []
        assert doc["phone_suffixes"] == []
