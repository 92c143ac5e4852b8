"""The Instagram webhook: Meta's handshake, signatures, malformed bodies, dedupe."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import APP_SECRET
from inbox.wiring import Hub
from tests.channels import count, fixture
from tests.connectors.instagram.helpers import VERIFY_TOKEN, instagram_line, post_instagram


async def test_handshake_answers_the_bare_challenge(client: TestClient, hub: Hub) -> None:
    line = await instagram_line(hub)
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    resp = await client.get(f"/webhooks/instagram/{line.id}", params=query)
    assert resp.status == 200
    assert await resp.text() == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {},
    ],
)
async def test_handshake_with_a_wrong_token_is_403(
    client: TestClient, hub: Hub, query: dict[str, str]
) -> None:
    line = await instagram_line(hub)
    resp = await client.get(f"/webhooks/instagram/{line.id}", params=query)
    assert resp.status == 403
    body = await resp.json()
    assert body["error"]["code"] == "bad_verify_token"
    assert VERIFY_TOKEN not in json.dumps(body)


def sha1(secret: str, body: bytes) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature": "SHA1"},  # SHA-1 only: placeholder replaced below
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "SIGNED-WITH-ANOTHER-SECRET"},
        {"X-Hub-Signature-256": "sha256="},
        {"X-Hub-Signature-256": "deadbeef"},
    ],
    ids=["missing", "sha1_only", "wrong", "other_secret", "empty", "no_prefix"],
)
async def test_bad_signatures_are_401_and_nothing_is_stored(
    client: TestClient, hub: Hub, headers: dict[str, str]
) -> None:
    line = await instagram_line(hub)
    body = fixture("instagram", "text")
    if "X-Hub-Signature" in headers:
        headers = {"X-Hub-Signature": sha1(APP_SECRET, body)}
    if headers.get("X-Hub-Signature-256") == "SIGNED-WITH-ANOTHER-SECRET":
        other = hmac.new(b"another-secret", body, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": "sha256=" + other}
    status, answer = await post_instagram(client, line, body, headers=headers)
    assert status == 401
    assert answer["error"]["code"] == "bad_signature"
    assert APP_SECRET not in json.dumps(answer)
    assert await count(hub, "messages") == 0
    assert await count(hub, "contacts") == 0


async def test_the_known_answer_signature_vector(client: TestClient, hub: Hub) -> None:
    """The research note's vector: secret ``test_app_secret``, its 373-byte payload."""
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": "17841400000000001",
                "time": 1767225601,
                "messaging": [
                    {
                        "sender": {"id": "6400000000000001"},
                        "recipient": {"id": "17841400000000001"},
                        "timestamp": 1767225600987,
                        "message": {
                            "mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx"
                            "OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTQ4OTAwMDAwMDAwMTIz",
                            "text": "Hi! Is the blue size M still available?",
                        },
                    }
                ],
            }
        ],
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    assert len(body) == 373
    line = await instagram_line(hub, credentials={"app_secret": "test_app_secret"})
    sig = "sha256=8d6856c65ee75dbf59ea75bba61e5fe51e881a73336b988b42e61597bb24a0ce"
    status, _ = await post_instagram(client, line, body, headers={"X-Hub-Signature-256": sig})
    assert status == 200
    assert await count(hub, "messages") == 1


async def test_the_signature_covers_the_exact_bytes(client: TestClient, hub: Hub) -> None:
    """Meta escapes non-ASCII as \\uXXXX: a re-serialized body would not verify."""
    line = await instagram_line(hub)
    body = json.dumps(json.loads(fixture("instagram", "reaction")), ensure_ascii=True).encode()
    assert b"\\u2764" in body
    assert (await post_instagram(client, line, body))[0] == 200
    signed_other = json.dumps(json.loads(body), ensure_ascii=False).encode()
    headers = {
        "X-Hub-Signature-256": "sha256="
        + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    }
    status, _ = await post_instagram(client, line, signed_other, headers=headers)
    assert status == 401


async def test_a_second_app_secret_accepts_the_other_login_flavour_once(
    client: TestClient, hub: Hub
) -> None:
    """One account connected through both login flavours: two apps sign the same message."""
    line = await instagram_line(hub, credentials={"app_secret_facebook": "fb-app-secret"})
    body = fixture("instagram", "text")
    assert (await post_instagram(client, line, body))[0] == 200
    assert (await post_instagram(client, line, body, secret="fb-app-secret"))[0] == 200
    assert await count(hub, "messages") == 1


async def test_concurrent_duplicates_are_stored_once(client: TestClient, hub: Hub) -> None:
    line = await instagram_line(hub)
    body = fixture("instagram", "text")
    results = await asyncio.gather(*(post_instagram(client, line, body) for _ in range(20)))
    assert {status for status, _ in results} == {200}
    await hub.drain_background()
    assert await count(hub, "messages") == 1
    assert await count(hub, "conversations") == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"\xff\xfe",
        b'{"object": "instagram"}',
        b'{"object": "instagram", "entry": {"id": 1}}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["empty", "text", "array", "string", "binary", "no_entry", "entry_object", "deep"],
)
async def test_malformed_signed_bodies_are_acknowledged_and_recorded(
    client: TestClient, hub: Hub, body: bytes
) -> None:
    # Meta retries anything but 2xx and disables a webhook that keeps failing: a signed
    # body we can never store is acknowledged and recorded in rejected_webhooks instead.
    line = await instagram_line(hub)
    status, answer = await post_instagram(client, line, body)
    assert status == 200
    assert answer == {}
    assert await count(hub, "messages") == 0
    assert await count(hub, "rejected_webhooks") == 1


@pytest.mark.parametrize(
    "body",
    [
        {"object": "page", "entry": []},
        {"object": "instagram", "entry": []},
        {"object": "instagram", "entry": [None, 1, "x", {"id": None}]},
        # Found by the fuzzer: an object or a list where the account id belongs.
        {"object": "instagram", "entry": [{"id": {"x": 1}}, {"id": ["17841400000000001"]}]},
        {"object": "instagram", "entry": [{"id": "17841400000000001", "messaging": [
            {"sender": {"id": ["x"]}, "message": {"mid": "m"}},
            {"sender": {"id": "u"}, "message": {"mid": "m", "attachments": "no"}},
            {"sender": {"id": "u"}, "reaction": {"mid": None}},
            {"sender": {"id": "u"}, "read": "x"},
            {"sender": {"id": "u"}, "message": {"mid": "m" * 300, "text": "long id"}},
            {"sender": {"id": "u"}, "message": {"mid": "m", "text": "x" * 70_000}},
            {"sender": {"id": "u"}, "timestamp": 10**30, "message": {"mid": "m2", "text": "t"}},
            {"sender": {"id": "u"}, "optin": {"ref": "x"}},
        ]}]},
        {"object": "instagram", "entry": [{"id": "17841400000000001", "changes": [
            None, {"field": "comments"}, {"field": "comments", "value": {"id": "1"}},
            {"field": "mentions", "value": {}},
        ]}]},
    ],
    ids=["other_object", "empty", "junk_entries", "unhashable_ids", "junk_items", "junk_changes"],
)  # fmt: skip
async def test_unknown_or_broken_items_are_acknowledged(
    client: TestClient, hub: Hub, body: dict[str, object]
) -> None:
    line = await instagram_line(hub)
    assert await post_instagram(client, line, body) == (200, {})
    await hub.drain_background()
    # Only the one valid item of junk_items (a huge timestamp is dropped, not fatal).
    assert await count(hub, "messages") <= 1


async def test_a_batch_keeps_its_good_items(client: TestClient, hub: Hub) -> None:
    line = await instagram_line(hub)
    assert await post_instagram(client, line, fixture("instagram", "batch")) == (200, {})
    await hub.drain_background()
    texts = sorted([d["text"] async for d in hub.db["messages"].find({})])
    assert texts == ["first", "second"]


async def test_a_late_older_unreact_does_not_remove_a_newer_reaction(
    client: TestClient, hub: Hub
) -> None:
    line = await instagram_line(hub)
    assert (await post_instagram(client, line, fixture("instagram", "text")))[0] == 200
    react = json.loads(fixture("instagram", "reaction"))
    unreact = json.loads(fixture("instagram", "unreact"))
    for event in (react, unreact):
        item = event["entry"][0]["messaging"][0]
        item["reaction"]["mid"] = "mid.text.1"
    react["entry"][0]["messaging"][0]["timestamp"] += 10_000  # the newer event
    assert (await post_instagram(client, line, react))[0] == 200
    assert (await post_instagram(client, line, unreact))[0] == 200
    message = await hub.messages.get_by_external(line.id, "mid.text.1")
    assert message is not None
    assert [r.emoji for r in message.reactions] == ["❤️"]
