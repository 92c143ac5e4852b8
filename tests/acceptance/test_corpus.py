"""Acceptance: every Telegram and Viber item of ``../shared/corpus`` through the real webhook.

Each item's MANIFEST.json ``expected`` block says what an inbox should make of it: store a
customer message (text, sender, ids, attachment), update a status (edit, block, receipt,
subscription) or ignore it. Every item runs on a line of its own, because several corpus
samples reuse the same ids on purpose. Where the hub deliberately differs from a manifest
suggestion, ``DEVIATIONS`` says so and the test checks the hub's documented behaviour.

Run with ``make acceptance``. Without the corpus folder the run reports a skip saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from inbox.domain.models import AttachmentKind, DeliveryStatus, Line
from inbox.wiring import Hub
from tests.channels import count, post_telegram, post_viber, telegram_line, viber_line

# ``<repo>/../shared/corpus``; INBOX_CORPUS points elsewhere (e.g. a checkout of it).
CORPUS = Path(
    os.environ.get("INBOX_CORPUS")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
)
CHANNELS = ("telegram", "viber")
WELCOME = "Welcome! How can we help?"

# Where the hub deliberately differs from a manifest suggestion, and why.
DEVIATIONS = {
    "tx_09_message_reaction_user.json": "reactions are not kept (not requested in "
    "allowed_updates, and this one is in a group chat): acknowledged and ignored",
    "tx_10_message_reaction_anonymous_chat.json": "same: reactions in a group chat are ignored",
}

ATTACHMENT_KINDS = {
    "photo": AttachmentKind.IMAGE,
    "video_note": AttachmentKind.VIDEO,
    "video": AttachmentKind.VIDEO,
    "audio": AttachmentKind.AUDIO,
    "voice": AttachmentKind.VOICE,
    "document": AttachmentKind.DOCUMENT,
    "sticker": AttachmentKind.STICKER,
}


def corpus_items() -> list[tuple[str, str, dict[str, Any]]]:
    items = []
    for channel in CHANNELS:
        manifest_path = CORPUS / channel / "MANIFEST.json"
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text())
        items.extend(
            (channel, name, entry)
            for name, entry in sorted(manifest.items())
            if isinstance(entry, dict) and "expected" in entry
        )
    return items


ITEMS = corpus_items()


def test_corpus_is_present() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent: no corpus item was checked")
    assert {channel for channel, _, _ in ITEMS} == set(CHANNELS), "a channel's MANIFEST is missing"


@pytest.mark.parametrize(("channel", "name", "entry"), ITEMS, ids=[f"{c}/{n}" for c, n, _ in ITEMS])
async def test_corpus_item(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    channel: str,
    name: str,
    entry: dict[str, Any],
) -> None:
    body = (CORPUS / channel / name).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"], "corpus file changed"
    expected = entry["expected"]
    if channel == "telegram":
        await check_telegram(client, hub, name, body, expected)
    else:
        await check_viber(client, hub, name, body, entry)
    await hub.drain_background()


# ---------------------------------------------------------------- Telegram


async def check_telegram(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    name: str,
    body: bytes,
    expected: dict[str, Any],
) -> None:
    line = await telegram_line(hub)
    update = json.loads(body)
    disposition = expected["disposition"]
    if disposition == "update_status":
        await telegram_status(client, hub, line, name, update, expected)
        return
    status, answer = await post_telegram(client, line, body)
    assert (status, answer) == (200, {})
    if disposition in ("ignore", "store_if_group_chats_enabled") or name in DEVIATIONS:
        # Group chats are not customer conversations in this hub: acknowledged, not stored.
        assert await count(hub, "messages") == 0
        assert await count(hub, "contacts") == 0
        return
    assert disposition == "store_customer_message", disposition
    external_id = expected["dedupe_key"].removeprefix("tg:")
    stored = await hub.messages.get_by_external(line.id, external_id)
    assert stored is not None, f"no message {external_id}"
    assert stored.text == expected["text"]
    contact = await hub.contacts.get(stored.sender_id or "")
    assert contact.identities[0].external_id == str(expected["sender_external_id"])
    if "reply_to_message_id" in expected:
        chat = expected["chat_external_id"]
        assert stored.reply_to_external_id == f"{chat}:{expected['reply_to_message_id']}"
    if "attachment" in expected:
        kinds = [a.kind for a in stored.attachments]
        assert ATTACHMENT_KINDS[expected["attachment"]] in kinds
        assert all(a.external_id for a in stored.attachments)
    if "contact_phone" in expected:
        assert expected["contact_phone"] in contact.phones
        assert stored.attachments[0].phone == expected["contact_phone"]
    if "Venue" in expected["action"]:
        assert stored.attachments[0].title == "Venue Name"
    # A redelivery (same update again) is stored once.
    assert (await post_telegram(client, line, body))[0] == 200
    assert await count(hub, "messages") == 1


async def telegram_status(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    name: str,
    update: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    if name in DEVIATIONS:
        assert (await post_telegram(client, line, update))[0] == 200
        assert await count(hub, "messages") == 0
        return
    if "edited_message" in update:
        original = {k: v for k, v in update["edited_message"].items() if k != "edit_date"}
        seed = {"update_id": 1, "message": {**original, "text": "original text"}}
        assert (await post_telegram(client, line, seed))[0] == 200
        assert (await post_telegram(client, line, update))[0] == 200
        stored = await hub.messages.get_by_external(
            line.id, expected["dedupe_key"].removeprefix("tg:")
        )
        assert stored is not None
        assert stored.text == expected["text"]
        assert [v.text for v in stored.versions] == ["original text"]
        assert await count(hub, "messages") == 1
        return
    assert "my_chat_member" in update, name
    user = expected["sender_external_id"]
    await post_telegram(client, line, seed_message(user))
    unblocked = "unblocked" in expected["kind"]
    if unblocked:
        await post_telegram(client, line, block_update(user))
    assert (await post_telegram(client, line, update))[0] == 200
    contact = await hub.contacts.find_by_identity(line.id, str(user))
    assert contact is not None
    assert contact.identities[0].reachable is unblocked
    assert await count(hub, "messages") == 1  # only the seed: no message for a block


def seed_message(user: int) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "Seed"}
    chat = {"id": user, "type": "private", "first_name": "Seed"}
    message = {"message_id": 1, "from": sender, "chat": chat, "date": 1700000000, "text": "hi"}
    return {"update_id": 2, "message": message}


def block_update(user: int) -> dict[str, Any]:
    bot = {"id": 1, "is_bot": True, "first_name": "bot"}
    return {
        "update_id": 3,
        "my_chat_member": {
            "chat": {"id": user, "type": "private", "first_name": "Seed"},
            "from": {"id": user, "is_bot": False, "first_name": "Seed"},
            "date": 1700000001,
            "old_chat_member": {"user": bot, "status": "member"},
            "new_chat_member": {"user": bot, "status": "kicked"},
        },
    }


# ---------------------------------------------------------------- Viber


async def check_viber(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    name: str,
    body: bytes,
    entry: dict[str, Any],
) -> None:
    expected = entry["expected"]
    vector = entry.get("signature_test_vector")
    if vector:
        # The SDK's real signature: a line with that token must accept these exact bytes.
        line = await viber_line(hub, credentials={"token": vector["auth_token"]})
        headers = {"X-Viber-Content-Signature": vector["X-Viber-Content-Signature"]}
        resp = await client.post(f"/webhooks/viber/{line.id}", data=body, headers=headers)
        assert resp.status == 200
        assert await count(hub, "messages") == 0
        return
    line = await viber_line(hub, welcome_text=WELCOME)
    event = json.loads(body)
    disposition = expected["disposition"]
    if disposition == "ignore":
        assert await post_viber(client, line, body) == (200, {})
        assert await count(hub, "messages") == 0
        return
    if disposition == "update_status":
        await viber_status(client, hub, line, body, event, expected)
        return
    assert disposition == "store_customer_message", disposition
    assert await post_viber(client, line, body) == (200, {})
    external_id = expected["dedupe_key"].removeprefix("viber:")
    stored = await hub.messages.get_by_external(line.id, external_id)
    assert stored is not None, f"no message {external_id}"
    assert stored.text == expected["text"]
    contact = await hub.contacts.get(stored.sender_id or "")
    assert contact.identities[0].external_id == expected["sender_external_id"]
    if isinstance(expected.get("attachment"), dict):
        attachment = stored.attachments[0]
        want = expected["attachment"]
        assert (attachment.name, attachment.size, attachment.url) == (
            want["file_name"], want["size"], want["url"],
        )  # fmt: skip
    if "contact_phone" in expected:
        assert stored.attachments[0].phone == expected["contact_phone"]
    if event["message"]["type"] == "location":
        # Kept when on the globe; an SDK sample's lat 1234 is stored as an unknown place.
        lat = event["message"]["location"]["lat"]
        assert stored.attachments[0].latitude == (lat if -90 <= lat <= 90 else None)
    assert await post_viber(client, line, body) == (200, {})
    assert await count(hub, "messages") == 1


async def viber_status(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    body: bytes,
    event: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    kind = event["event"]
    user = expected["sender_external_id"]
    if kind in ("delivered", "seen", "failed"):
        token = expected["message_external_id"]
        await seed_viber_user(client, hub, line, user)
        conversation = (await hub.conversations.list(line_id=line.id))[0]
        reply = await hub.replier.reply(conversation.id, None, "our reply")
        await hub.messages.mark_sent(reply.id, token, hub.clock.now())
        assert await post_viber(client, line, body) == (200, {})
        stored = await hub.messages.get(reply.id)
        want = {"delivered": DeliveryStatus.DELIVERED, "seen": DeliveryStatus.READ,
                "failed": DeliveryStatus.FAILED}[kind]  # fmt: skip
        assert stored.status is want
        if kind == "failed":
            assert stored.error is not None
            assert stored.error.reason == event["desc"]
        return
    if kind == "conversation_started":
        status, answer = await post_viber(client, line, body)
        assert status == 200
        if expected["subscribed"]:
            assert answer == {}  # a returning subscriber gets no second welcome
        else:
            assert (answer["type"], answer["text"]) == ("text", WELCOME)
        assert await count(hub, "messages") == 0
        assert await hub.contacts.find_by_identity(line.id, user) is not None
        return
    if kind == "unsubscribed":
        await seed_viber_user(client, hub, line, user)
    assert await post_viber(client, line, body) == (200, {})
    contact = await hub.contacts.find_by_identity(line.id, user)
    assert contact is not None  # a subscriber who never wrote becomes a contact too
    assert contact.identities[0].reachable is (kind == "subscribed")
    if kind == "subscribed":
        assert (contact.name, contact.language) == (
            event["user"]["name"],
            event["user"]["language"],
        )
    assert await count(hub, "messages") == (1 if kind == "unsubscribed" else 0)


async def seed_viber_user(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    user: str,
) -> None:
    seed = {
        "event": "message",
        "timestamp": 1700000000000,
        "message_token": 1,
        "sender": {"id": user, "name": "Seed"},
        "message": {"type": "text", "text": "hi"},
    }
    assert (await post_viber(client, line, seed))[0] == 200
