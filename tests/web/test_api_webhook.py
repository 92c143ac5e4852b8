"""The signed API channel through the real webhook route."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.helpers import api_body, make_line, post_api, signed


async def count(hub: Hub, collection: str) -> int:
    return await hub.db[collection].count_documents({})


async def test_signed_message_is_stored_before_the_answer(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    status, body = await post_api(client, line, api_body("m-1", text="Hi there"))
    assert (status, body) == (200, {"ok": True})
    stored = await hub.messages.get_by_external(line.id, "m-1")
    assert stored is not None
    assert stored.text == "Hi there"
    conversation = await hub.conversations.get(stored.conversation_id)
    assert conversation.last_message_preview == "Hi there"
    assert conversation.unread_count == 1


async def test_bad_signature_is_401_and_nothing_stored(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    body = api_body("m-1")
    resp = await client.post(
        f"/webhooks/api/{line.id}", data=body, headers={"X-Inbox-Signature": "sha256=00"}
    )
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "bad_signature"
    resp = await client.post(f"/webhooks/api/{line.id}", data=body)
    assert resp.status == 401
    assert await count(hub, "messages") == 0


async def test_malformed_json_wrong_types_and_empty_are_422(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    for body, code in [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"message_id": 5, "user": {"id": "u"}, "text": "x"}', "invalid_payload"),
        (b'{"message_id": "m", "user": {"id": "u"}}', "empty_message"),
        (b'{"message_id": "m", "text": "x"}', "invalid_payload"),
    ]:
        resp = await client.post(
            f"/webhooks/api/{line.id}", data=body, headers=signed(line, body, hub)
        )
        assert resp.status == 422, body
        error = (await resp.json())["error"]
        assert error["code"] == code, body
        assert error["message"], body
    assert await count(hub, "messages") == 0


async def test_oversized_body_is_413(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    body = api_body("m-big", text="x" * (hub.settings.webhook_max_body + 10))
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=signed(line, body, hub))
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "payload_too_large"
    assert await count(hub, "messages") == 0


async def test_unknown_event_type_is_acknowledged(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    status, _ = await post_api(client, line, b'{"type": "typing", "user": {"id": "u"}}')
    assert status == 200
    assert await count(hub, "messages") == 0


async def test_unknown_line_or_channel_is_404(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    body = api_body("m-1")
    resp = await client.post("/webhooks/api/nope", data=body, headers=signed(line, body, hub))
    assert resp.status == 404
    resp = await client.post(f"/webhooks/telegram/{line.id}", data=body)
    assert resp.status == 404
    resp = await client.post(f"/webhooks/nosuch/{line.id}", data=body)
    assert resp.status == 404


async def test_fifty_concurrent_duplicates_store_one(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    body = api_body("dup-1", user_id="u-dup")
    results = await asyncio.gather(*(post_api(client, line, body) for _ in range(50)))
    assert {status for status, _ in results} == {200}
    assert await count(hub, "messages") == 1
    assert await count(hub, "conversations") == 1
    assert await count(hub, "contacts") == 1
    conversation = await hub.db["conversations"].find_one({})
    assert conversation is not None
    assert conversation["unread_count"] == 1


async def test_text_that_looks_like_an_operator_is_kept_literally(
    client: TestClient, hub: Hub
) -> None:
    line = await make_line(hub)
    status, _ = await post_api(client, line, api_body("m-$", text="$last_message_at please"))
    assert status == 200
    stored = await hub.messages.get_by_external(line.id, "m-$")
    assert stored is not None
    conversation = await hub.conversations.get(stored.conversation_id)
    assert conversation.last_message_preview == "$last_message_at please"
    assert conversation.first_customer_message_at is not None


async def test_oversized_chunked_body_without_length_is_413(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    chunk = b"x" * 65536

    async def stream():  # type: ignore[no-untyped-def]
        for _ in range(hub.settings.webhook_max_body // len(chunk) + 2):
            yield chunk

    resp = await client.post(f"/webhooks/api/{line.id}", data=stream())
    assert resp.status == 413
    assert await count(hub, "messages") == 0
