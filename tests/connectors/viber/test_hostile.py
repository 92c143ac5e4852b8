"""Hostile but correctly signed Viber callbacks: never a 5xx, nothing half-stored.

Viber retries a callback for an hour until it gets 200, so a signed callback we cannot
store is acknowledged and recorded in ``rejected_webhooks`` with its reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.channels import count, fixture, post_viber, viber_line


def event(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture("viber", name))
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return data


async def test_deep_nesting_and_huge_numbers_are_acknowledged(client: TestClient, hub: Hub) -> None:
    line = await viber_line(hub)
    deep = b'{"event": "message", "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    huge = b'{"event": "message", "message_token": ' + b"1" * 5000 + b"}"
    for body in (deep, huge, b"{not json"):
        assert (await post_viber(client, line, body)) == (200, {}), body[:40]
    entries = [d async for d in hub.db["rejected_webhooks"].find({})]
    assert [e["size"] for e in entries] == [len(deep), len(huge), 9]
    assert all(e["reason"] and e["channel"] == "viber" for e in entries)
    assert await count(hub, "messages") == 0


@pytest.mark.parametrize("user_id", ["", "   ", "x" * 5000])
@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("message_text", "sender__id"),
        ("conversation_started", "user__id"),
        ("subscribed", "user__id"),
        ("unsubscribed", "user_id"),
    ],
)
async def test_empty_or_over_long_user_ids_are_refused_and_acknowledged(
    client: TestClient, hub: Hub, name: str, field: str, user_id: str
) -> None:
    line = await viber_line(hub)
    status, body = await post_viber(client, line, event(name, **{field: user_id}))
    assert (status, body) == (200, {})
    assert await count(hub, "contacts") == 0
    assert await count(hub, "messages") == 0
    assert await count(hub, "rejected_webhooks") == 1


async def test_file_size_beyond_int64_and_surrogates_are_stored_safely(
    client: TestClient, hub: Hub
) -> None:
    line = await viber_line(hub)
    data = event("message_file", message__size=2**63 + 1)
    raw = json.dumps(data).replace("contract.pdf", "contract\\udc80.pdf")
    raw = raw.replace('"Ivan P"', '"Ivan \\ud83d"')
    assert (await post_viber(client, line, raw.encode())) == (200, {})
    stored = await hub.messages.get_by_external(line.id, str(data["message_token"]))
    assert stored is not None
    assert stored.attachments[0].size is None
    assert stored.attachments[0].name == "contract\ufffd.pdf"
    assert await count(hub, "rejected_webhooks") == 0


async def test_timestamps_at_the_edge_of_the_range(client: TestClient, hub: Hub) -> None:
    line = await viber_line(hub)
    for i, ts in enumerate([2**63 - 1, -(2**63), 253402300800000, 1], start=1):
        data = event("message_text", timestamp=ts, message_token=1000 + i)
        assert (await post_viber(client, line, data)) == (200, {}), ts
    assert await count(hub, "messages") == 4


async def test_text_and_names_are_cut_to_viber_limits(client: TestClient, hub: Hub) -> None:
    line = await viber_line(hub)
    big = "z" * 200_000
    data = event("message_text", message__text=big, sender__name=big)
    assert (await post_viber(client, line, data)) == (200, {})
    stored = await hub.messages.get_by_external(line.id, str(data["message_token"]))
    assert stored is not None
    assert stored.text is not None
    assert len(stored.text) == 7000
    assert stored.text.endswith("…")
    contact = await hub.contacts.find_by_identity(line.id, data["sender"]["id"])
    assert contact is not None
    assert len(contact.name) <= 256
    started = event("conversation_started", context=big, user__name=big, user__id="other=")
    assert (await post_viber(client, line, started))[0] == 200
    other = await hub.contacts.find_by_identity(line.id, "other=")
    assert other is not None
    assert len(other.name) <= 256


async def test_a_failed_first_message_keeps_the_deep_link_context_for_the_retry(
    client: TestClient, hub: Hub
) -> None:
    line = await viber_line(hub)
    assert (await post_viber(client, line, event("conversation_started")))[0] == 200
    # A real server-side constraint makes the first insert fail (no patching of ours).
    await hub.db["messages"].create_index("text", name="test_uniq_text", unique=True)
    first = event("message_text")
    await hub.db["messages"].insert_one({"_id": "planted", "text": first["message"]["text"]})
    assert (await post_viber(client, line, first))[0] < 500
    assert await count(hub, "conversations") == 0
    await hub.db["messages"].delete_one({"_id": "planted"})
    assert (await post_viber(client, line, first)) == (200, {})  # Viber's retry
    stored = await hub.messages.get_by_external(line.id, str(first["message_token"]))
    assert stored is not None
    conversation = await hub.conversations.get(stored.conversation_id)
    assert conversation.source == "utm_support_page"
