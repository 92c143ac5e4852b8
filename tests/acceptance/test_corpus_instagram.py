"""Acceptance: every Instagram item of ``../shared/corpus`` through the real webhook.

The items are Chatwoot's fixtures: ``entry.id`` names their test inbox's account, so each
item runs on a line of its own for that account (several reuse the same ids on purpose).
The dashboard's test event names account ``0``, which no line has: it is acknowledged and
ignored. Timestamps there are ISO strings (Meta sends epoch milliseconds): both are read.
Status items (unsend, read, reactions) run twice: on a fresh line, where their target is
unknown (acknowledged, nothing stored), and after their target was seeded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from connectors.instagram.parse import STORY_MENTION, STORY_REPLY
from inbox.devfakes.instagram import ACCOUNT_ID
from inbox.domain.models import AttachmentKind, DeliveryStatus, Direction, Line
from inbox.wiring import Hub
from tests.acceptance.test_corpus import CORPUS
from tests.channels import count
from tests.connectors.instagram.helpers import instagram_line, post_instagram

FOLDER = CORPUS / "instagram"


def items() -> list[tuple[str, dict[str, Any]]]:
    manifest = FOLDER / "MANIFEST.json"
    if not manifest.is_file():
        return []
    data = json.loads(manifest.read_text())
    return [(n, e) for n, e in sorted(data.items()) if isinstance(e, dict) and "expected" in e]


ITEMS = items()


def test_instagram_corpus_is_present() -> None:
    if not FOLDER.is_dir():
        pytest.skip(f"corpus folder {FOLDER} is absent: no Instagram item was checked")
    assert len(ITEMS) >= 11


async def line_for(hub: Hub, body: bytes) -> Line:
    account = str(json.loads(body)["entry"][0]["id"])
    return await instagram_line(hub, settings={"ig_id": account if account != "0" else ACCOUNT_ID})


@pytest.mark.parametrize(("name", "entry"), ITEMS, ids=[n for n, _ in ITEMS])
async def test_instagram_corpus_item(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    name: str,
    entry: dict[str, Any],
) -> None:
    body = (FOLDER / name).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"], "corpus file changed"
    expected = entry["expected"]
    disposition = expected["disposition"]
    line = await line_for(hub, body)
    if disposition == "update_status":
        await check_status(client, hub, line, body, expected)
    elif disposition == "ignore":
        assert await post_instagram(client, line, body) == (200, {})
        customer = await hub.db["messages"].count_documents({"direction": Direction.IN.value})
        assert customer == 0
        assert await count(hub, "contacts") == 0
    else:
        assert disposition == "store_customer_message", disposition
        await check_stored(client, hub, line, body, expected)
    await hub.drain_background()


async def check_stored(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    body: bytes,
    expected: dict[str, Any],
) -> None:
    assert await post_instagram(client, line, body) == (200, {})
    external_id = expected["dedupe_key"].removeprefix("ig:")
    stored = await hub.messages.get_by_external(line.id, external_id)
    assert stored is not None, f"no message {external_id}"
    assert stored.direction is Direction.IN
    assert stored.text == expected["text"]
    assert stored.sent_at is not None
    assert stored.sent_at.isoformat() == "2021-09-08T06:34:04+00:00"
    contact = await hub.contacts.get(stored.sender_id or "")
    assert contact.identities[0].external_id == expected["sender_external_id"]
    kind = expected["kind"]
    titles = [(a.kind, a.title, a.url) for a in stored.attachments]
    if "story reply" in kind:
        assert (
            AttachmentKind.LINK,
            STORY_REPLY,
            "https://chatwoot-assets.local/sample.png",
        ) in titles
    if "story_mention" in kind:
        assert titles == [
            (AttachmentKind.IMAGE, STORY_MENTION, "https://www.example.com/test.jpeg")
        ]
    if "share" in kind:
        assert [(k, u) for k, _, u in titles] == [
            (AttachmentKind.LINK, "https://www.example.com/test.jpeg")
        ]
    # A redelivery (Meta retries for hours) is stored once.
    assert await post_instagram(client, line, body) == (200, {})
    assert await count(hub, "messages") == 1


async def seed(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    user: str,
    mid: str,
    *,
    ours: bool,
) -> str:
    """A customer message from ``user`` (``mid``), or our reply named ``mid`` to them."""
    first = "seed-in" if ours else mid
    item = {
        "sender": {"id": user},
        "recipient": {"id": line.settings["ig_id"]},
        "timestamp": 1631082844000,
        "message": {"mid": first, "text": "seed"},
    }
    envelope = {
        "object": "instagram",
        "entry": [{"id": line.settings["ig_id"], "messaging": [item]}],
    }
    assert (await post_instagram(client, line, envelope))[0] == 200
    inbound = await hub.messages.get_by_external(line.id, first)
    assert inbound is not None
    if not ours:
        return inbound.id
    reply = await hub.replier.reply(inbound.conversation_id, "op-1", "our reply")
    await hub.messages.mark_sent(reply.id, mid, hub.clock.now())
    return reply.id


async def check_status(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    body: bytes,
    expected: dict[str, Any],
) -> None:
    # A status for a message the hub does not know: logged and acknowledged.
    assert await post_instagram(client, line, body) == (200, {})
    assert await count(hub, "messages") == 0
    line = await line_for(hub, body)
    user = expected["sender_external_id"]
    target = expected["message_external_id"]
    kind = expected["kind"]
    if kind.startswith("unsend"):
        message_id = await seed(client, hub, line, user, target, ours=False)
        assert await post_instagram(client, line, body) == (200, {})
        message = await hub.messages.get(message_id)
        assert message.deleted_at is not None
        assert message.text == "seed"  # kept for audit, hidden from operators
        assert await count(hub, "messages") == 1
        return
    message_id = await seed(client, hub, line, user, target, ours=True)
    if "unreact" in kind:
        react = json.loads(body)
        react["entry"][0]["messaging"][0]["reaction"].update(action="react", emoji="❤️")
        assert (await post_instagram(client, line, react))[0] == 200
        assert (await hub.messages.get(message_id)).reactions
    assert await post_instagram(client, line, body) == (200, {})
    message = await hub.messages.get(message_id)
    if kind.startswith("read receipt"):
        assert message.status is DeliveryStatus.READ
    elif "unreact" in kind:
        assert message.reactions == ()
    else:
        assert [(r.by, r.emoji) for r in message.reactions] == [(user, "❤️")]
    assert await count(hub, "messages") == 2  # the seed and our reply: no new message
