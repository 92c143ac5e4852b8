"""Hostile but correctly signed Telegram updates: never a 5xx, nothing half-stored.

Telegram retries a non-2xx answer for up to a day and holds every later update of the
chat behind it, so a signed update we cannot store is acknowledged and recorded in
``rejected_webhooks`` with its reason, never answered 500.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.channels import count, fixture, post_telegram, telegram_line

USER = 700100200


def update(update_id: int = 9001, message_id: int = 1, **fields: Any) -> dict[str, Any]:
    sender = {"id": USER, "is_bot": False, "first_name": "Olena"}
    sender.update(fields.pop("sender", {}))
    message = {
        "message_id": message_id,
        "date": 1767225600,
        "chat": {"id": USER, "type": "private"},
        "from": sender,
        **fields,
    }
    return {"update_id": update_id, "message": message}


async def rejected(hub: Hub) -> list[dict[str, Any]]:
    return [d async for d in hub.db["rejected_webhooks"].find({})]


async def test_deep_nesting_is_acknowledged_and_recorded(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    deep = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, body = await post_telegram(client, line, deep)
    assert (status, body) == (200, {})
    [entry] = await rejected(hub)
    assert entry["line_id"] == line.id
    assert entry["channel"] == "telegram"
    assert entry["reason"]
    assert entry["size"] == len(deep)
    assert len(entry["sha256"]) == 64
    assert "body" not in entry
    assert "headers" not in entry
    assert line.secret("secret") not in json.dumps(entry, default=str)
    assert await count(hub, "messages") == 0


async def test_huge_integers_are_acknowledged(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    huge = b'{"update_id": ' + b"9" * 5000 + b', "message": {}}'
    assert (await post_telegram(client, line, huge)) == (200, {})
    float_huge = json.dumps(update(text="hi")).replace('"date": 1767225600', '"date": 1e999')
    assert (await post_telegram(client, line, float_huge.encode()))[0] == 200
    assert await count(hub, "rejected_webhooks") == 2


async def test_signed_malformed_update_is_acknowledged_not_retried(
    client: TestClient, hub: Hub
) -> None:
    line = await telegram_line(hub)
    for body in (b"{nope", b'{"no_update_id": 1}', b'{"update_id": 1, "message": {"x": 1}}'):
        assert (await post_telegram(client, line, body)) == (200, {}), body
    reasons = [e["reason"] for e in await rejected(hub)]
    assert len(reasons) == 3
    assert all(reasons)
    assert await count(hub, "messages") == 0


async def test_file_size_beyond_int64_is_stored_without_it(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    doc = {"file_id": "BQAD-1", "file_name": "a.pdf", "file_size": 2**63}
    assert (await post_telegram(client, line, update(document=doc)))[0] == 200
    doc2 = {"file_id": "BQAD-2", "file_name": "b.pdf", "file_size": 2**64 + 5}
    assert (await post_telegram(client, line, update(message_id=2, document=doc2)))[0] == 200
    for mid in (1, 2):
        stored = await hub.messages.get_by_external(line.id, f"{USER}:{mid}")
        assert stored is not None
        assert stored.attachments[0].size is None
    assert await count(hub, "messages") == 2


async def test_dates_at_the_edge_of_the_range(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    edges = [253402300799, 253402300800, -62135596800, -(2**62), 2**62, 1]
    for i, date in enumerate(edges, start=1):
        body = update(message_id=i, text=f"edge {i}", date=date)
        assert (await post_telegram(client, line, body))[0] == 200, date
        edited = {"update_id": 100 + i, "edited_message": {**body["message"], "edit_date": date}}
        assert (await post_telegram(client, line, edited))[0] == 200, date
    assert await count(hub, "messages") == len(edges)


async def test_lone_surrogates_in_text_and_names(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    raw = json.dumps(update(text="bad X here", sender={"first_name": "Ol Y", "username": "u"}))
    raw = raw.replace("X", "\\ud800").replace("Y", "\\udfff")
    assert (await post_telegram(client, line, raw.encode())) == (200, {})
    stored = await hub.messages.get_by_external(line.id, f"{USER}:1")
    assert stored is not None
    assert stored.text == "bad \ufffd here"
    contact = await hub.contacts.find_by_identity(line.id, str(USER))
    assert contact is not None
    assert contact.name == "Olena \ufffd" or "\ufffd" in contact.name


async def test_a_5002_digit_contact_phone_is_refused_as_a_phone(
    client: TestClient, hub: Hub
) -> None:
    line = await telegram_line(hub)
    assert (await post_telegram(client, line, fixture("telegram", "text")))[0] == 200
    card = {"phone_number": "+" + "7" * 5002, "first_name": "X", "user_id": USER}
    body = update(message_id=77, contact=card)
    body["message"]["from"]["id"] = 700100200
    assert (await post_telegram(client, line, body)) == (200, {})
    doc = await hub.db["contacts"].find_one({})
    assert doc is not None
    assert doc["phones"] == []
    assert len(doc["phone_suffixes"]) == 0
    stored = await hub.messages.get_by_external(line.id, f"{USER}:77")
    assert stored is not None
    assert stored.attachments[0].phone is None  # not a phone number; the card is kept


async def test_a_valid_phone_is_normalized_to_e164_digits(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    card = {"phone_number": "+380 (50) 123-45-67", "first_name": "X", "user_id": USER}
    assert (await post_telegram(client, line, update(contact=card)))[0] == 200
    contact = await hub.contacts.find_by_identity(line.id, str(USER))
    assert contact is not None
    assert contact.phones == ("+380501234567",)
    doc = await hub.db["contacts"].find_one({})
    assert doc is not None
    assert len(doc["phone_suffixes"]) <= 12


async def test_unbounded_names_and_text_are_cut_to_telegram_limits(
    client: TestClient, hub: Hub
) -> None:
    line = await telegram_line(hub)
    big = "z" * 200_000
    body = update(text=big, sender={"first_name": big, "last_name": big, "username": big})
    assert (await post_telegram(client, line, body))[0] == 200
    caption = update(message_id=2, caption=big, photo=[{"file_id": "p" * 5000, "width": 1}])
    assert (await post_telegram(client, line, caption))[0] == 200
    stored = await hub.messages.get_by_external(line.id, f"{USER}:1")
    assert stored is not None
    assert stored.text is not None
    assert len(stored.text) == 4096
    assert stored.text.endswith("…")
    contact = await hub.contacts.find_by_identity(line.id, str(USER))
    assert contact is not None
    assert len(contact.name) <= 129
    identity = contact.identities[0]
    assert identity.username is None or len(identity.username) <= 32
    photo = await hub.messages.get_by_external(line.id, f"{USER}:2")
    assert photo is not None
    assert photo.text is not None
    assert len(photo.text) == 1024
    assert await count(hub, "rejected_webhooks") == 0


async def test_failed_message_insert_leaves_no_contact_or_conversation(
    client: TestClient, hub: Hub
) -> None:
    """A store failure after the contact and conversation were made: both are undone."""
    line = await telegram_line(hub)
    # A real server-side constraint makes the message insert fail (no patching of ours).
    await hub.db["messages"].create_index("text", name="test_uniq_text", unique=True)
    await hub.db["messages"].insert_one({"_id": "other", "text": "boom"})
    status, body = await post_telegram(client, line, update(text="boom"))
    assert status < 500, body
    assert await count(hub, "contacts") == 0
    assert await count(hub, "conversations") == 0
    assert await count(hub, "messages") == 1  # only the planted one
    # A returning customer keeps their contact and open conversation.
    await hub.db["messages"].drop_index("test_uniq_text")
    assert (await post_telegram(client, line, update(message_id=2, text="hello")))[0] == 200
    await hub.db["messages"].create_index("text", name="test_uniq_text2", unique=True)
    status, _ = await post_telegram(client, line, update(message_id=3, text="boom"))
    assert status < 500
    assert await count(hub, "contacts") == 1
    assert await count(hub, "conversations") == 1


async def test_a_replayed_rejection_counts_up_on_one_record(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    for _ in range(3):
        assert (await post_telegram(client, line, b'{"update_id": "x"}')) == (200, {})
    [entry] = await rejected(hub)
    assert entry["count"] == 3
    assert entry["code"] == "invalid_payload"
