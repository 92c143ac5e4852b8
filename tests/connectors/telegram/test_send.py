"""Operator replies through the fake Bot API: text, splits, files, and every error class."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from connectors.telegram.errors import TelegramSetupError
from inbox.devfakes.telegram import FakeTelegram
from inbox.domain.clock import FrozenClock
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus, Line, Message
from inbox.wiring import Hub, open_hub
from tests.channels import TG_TOKEN, published, registered_telegram

CHAT = 700100200
BOT = {"id": 1, "is_bot": True, "first_name": "bot"}


async def customer_writes(hub: Hub, fake: FakeTelegram, text: str = "Hi!") -> Message:
    update = fake.private_message(CHAT, text, first_name="Olena")
    assert await fake.push(TG_TOKEN, update) == 200
    line_id = next(iter(await hub.lines.list())).id
    stored = await hub.messages.get_by_external(
        line_id, f"{CHAT}:{update['message']['message_id']}"
    )
    assert stored is not None
    return stored


async def setup(hub: Hub, client: TestClient, fake: FakeTelegram) -> tuple[Line, Message]:  # type: ignore[type-arg]
    line = await registered_telegram(hub, client, fake)
    return line, await customer_writes(hub, fake)


async def reply(hub: Hub, inbound: Message, text: str | None, **kw: Any) -> Message:
    return await hub.replier.reply(inbound.conversation_id, "op-1", text, **kw)


async def test_registration_calls_getme_then_setwebhook_with_the_line_secret(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line = await registered_telegram(hub, client, fake_telegram)
    assert [m for _, m, _ in fake_telegram.calls] == ["getMe", "setWebhook"]
    hook = fake_telegram.webhooks[TG_TOKEN]
    assert hook.url.endswith(f"/webhooks/telegram/{line.id}")
    assert hook.secret_token == line.secret("secret")
    assert hook.allowed_updates == ["message", "edited_message", "my_chat_member"]
    stored = await hub.lines.get(line.id)
    assert stored.settings["bot_username"] == "fake_123456789_bot"


async def test_a_rejected_token_leaves_no_line(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.rejected_tokens.add(TG_TOKEN)
    with pytest.raises(TelegramSetupError, match="Unauthorized"):
        await registered_telegram(hub, client, fake_telegram)
    assert await hub.lines.list() == []


async def test_text_reply_is_sent_and_pushed_as_sent(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    outgoing = await reply(hub, inbound, "Your order ships today")
    sent = await hub.sender.attempt(outgoing.id)
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    [tg] = fake_telegram.sent_to(CHAT)
    assert tg["text"] == "Your order ships today"
    assert sent.external_id == f"{CHAT}:{tg['message_id']}"
    assert [e["data"]["status"] for e in await published(hub, "message.status")] == ["sent"]


async def test_long_text_is_split_at_4096_and_joins_back(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    text = "\n\n".join(f"Paragraph {i}: " + "слово " * 300 for i in range(6))
    sent = await hub.sender.attempt((await reply(hub, inbound, text)).id)
    parts = [m["text"] for m in fake_telegram.sent_to(CHAT)]
    assert len(parts) == 3
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert "".join(parts) == text
    assert sent is not None
    ids = [f"{CHAT}:{m['message_id']}" for m in fake_telegram.sent_to(CHAT)]
    assert sent.external_id == ids[0]
    doc = await hub.db["messages"].find_one({"_id": sent.id})
    assert doc is not None
    assert doc["extra_external_ids"] == ids[1:]  # every part's id is kept


async def test_photo_with_caption_and_document_from_our_file_store(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    photo = await hub.files.put(b"\x89PNG fake", name="sofa.png", mime_type="image/png")
    pdf = await hub.files.put(b"%PDF quote", name="quote.pdf", mime_type="application/pdf")
    attachments = [
        Attachment(kind=AttachmentKind.IMAGE, file_id=photo, name="sofa.png"),
        Attachment(kind=AttachmentKind.DOCUMENT, file_id=pdf, name="quote.pdf"),
    ]
    sent = await hub.sender.attempt(
        (await reply(hub, inbound, "Here you go", attachments=attachments)).id
    )
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    text, photo_msg, doc_msg = fake_telegram.sent_to(CHAT)
    assert text["text"] == "Here you go"
    assert photo_msg["photo"][0]["file_id"] in fake_telegram.files
    assert doc_msg["document"]["file_name"] == "quote.pdf"
    uploads = [p for _, m, p in fake_telegram.calls if m in ("sendPhoto", "sendDocument")]
    assert [u.get("photo", u.get("document"))["data"] for u in uploads] == [
        b"\x89PNG fake",
        b"%PDF quote",
    ]


async def test_single_photo_takes_the_text_as_caption(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    attachments = [Attachment(kind=AttachmentKind.IMAGE, url="https://cdn.example/sofa.jpg")]
    await hub.sender.attempt((await reply(hub, inbound, "Blue sofa", attachments=attachments)).id)
    [only] = fake_telegram.sent_to(CHAT)
    assert only["caption"] == "Blue sofa"


async def test_429_waits_the_retry_after_telegram_gives(
    client: TestClient, hub: Hub, clock: FrozenClock, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    fake_telegram.fail_next("sendMessage", status=429, retry_after=7)
    outgoing = await reply(hub, inbound, "hello")
    retrying = await hub.sender.attempt(outgoing.id)
    assert retrying is not None
    assert retrying.status is DeliveryStatus.RETRYING
    assert retrying.error is not None
    assert "retry after 7" in retrying.error.reason
    doc = await hub.db["messages"].find_one({"_id": outgoing.id})
    assert doc is not None
    assert (doc["next_attempt_at"] - hub.clock.now()).total_seconds() == 7
    clock.advance(6)
    assert await hub.sender.drain() == 0
    clock.advance(1)
    assert await hub.sender.drain() == 1
    assert (await hub.messages.get(outgoing.id)).status is DeliveryStatus.SENT
    assert len(fake_telegram.sent_to(CHAT)) == 1


async def test_5xx_and_network_errors_retry_with_backoff(
    client: TestClient, hub: Hub, clock: FrozenClock, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    fake_telegram.fail_next("sendMessage", status=502)
    outgoing = await reply(hub, inbound, "hello")
    first = await hub.sender.attempt(outgoing.id)
    assert first is not None
    assert first.status is DeliveryStatus.RETRYING
    assert first.error is not None
    assert "Telegram is unavailable" in first.error.reason
    await fake_telegram.close()  # Telegram unreachable: a network error
    clock.advance(600)
    second = await hub.sender.attempt(outgoing.id)
    assert second is not None
    assert second.status is DeliveryStatus.RETRYING
    assert second.attempts == 2


async def test_403_blocked_fails_at_once_and_marks_the_customer_unreachable(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line, inbound = await setup(hub, client, fake_telegram)
    fake_telegram.block(CHAT)
    failed = await hub.sender.attempt((await reply(hub, inbound, "hello")).id)
    assert failed is not None
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error is not None
    assert "blocked the bot" in failed.error.reason
    assert failed.error.code == "telegram_403"
    contact = await hub.contacts.find_by_identity(line.id, str(CHAT))
    assert contact is not None
    assert contact.identities[0].reachable is False
    events = await published(hub, "message.status")
    assert events[-1]["data"]["status"] == "failed"
    assert "blocked the bot" in events[-1]["data"]["error"]["reason"]


async def test_400_fails_with_telegrams_description(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    fake_telegram.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    failed = await hub.sender.attempt((await reply(hub, inbound, "hello")).id)
    assert failed is not None
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error is not None
    assert failed.error.reason == "Telegram refused the message: Bad Request: chat not found"


async def test_a_failed_later_part_fails_the_reply_without_resending_the_first(
    client: TestClient, hub: Hub, clock: FrozenClock, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    fake_telegram.fail_next("sendMessage", status=502, after=1)
    outgoing = await reply(hub, inbound, "a" * 5000)
    failed = await hub.sender.attempt(outgoing.id)
    assert failed is not None
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error is not None
    assert failed.error.reason.startswith("only 1 of 2 parts reached the customer")
    clock.advance(3600)
    assert await hub.sender.drain() == 0
    assert len(fake_telegram.sent_to(CHAT)) == 1


async def test_blocked_via_my_chat_member_stops_replies_before_any_call(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    update = {
        "update_id": fake_telegram.next_update_id(),
        "my_chat_member": {
            "chat": {"id": CHAT, "first_name": "Olena", "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Olena"},
            "date": 1767226000,
            "old_chat_member": {"user": BOT, "status": "member"},
            "new_chat_member": {"user": BOT, "status": "kicked"},
        },
    }  # fmt: skip
    assert await fake_telegram.push(TG_TOKEN, update) == 200
    failed = await hub.sender.attempt((await reply(hub, inbound, "hello")).id)
    assert failed is not None
    assert failed.status is DeliveryStatus.FAILED
    assert fake_telegram.sent_to(CHAT) == []


async def test_a_restart_sends_every_pending_reply_exactly_once(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    _, inbound = await setup(hub, client, fake_telegram)
    pending = [await reply(hub, inbound, f"reply {i}") for i in range(3)]
    # The web process stored the replies and died before sending; a new worker starts.
    async with open_hub(hub.settings, clock=hub.clock) as restarted:
        sent = await asyncio.gather(restarted.sender.drain(), restarted.sender.drain())
        assert sum(sent) == 3
        assert await restarted.sender.drain() == 0
    assert sorted(m["text"] for m in fake_telegram.sent_to(CHAT)) == [
        "reply 0",
        "reply 1",
        "reply 2",
    ]
    for message in pending:
        assert (await hub.messages.get(message.id)).status is DeliveryStatus.SENT
