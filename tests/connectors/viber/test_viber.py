"""Viber end to end against the fake REST API: setup, signatures, replies, receipts, limits."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from connectors.viber.errors import ViberSetupError, delivery_error
from inbox.devfakes.viber import FakeViber
from inbox.domain.clock import FrozenClock
from inbox.domain.models import (
    Attachment,
    AttachmentKind,
    ConversationStatus,
    DeliveryStatus,
    Line,
    Message,
)
from inbox.wiring import Hub
from tests.channels import (
    VIBER_TOKEN,
    count,
    fixture,
    post_viber,
    published,
    registered_viber,
    viber_line,
)

USER = "01234567890A="


async def customer_writes(hub: Hub, line: Line, fake: FakeViber, text: str = "Hi!") -> Message:
    event = fake.message_event(USER, text, name="Ivan P")
    status, answer = await fake.push(VIBER_TOKEN, event)
    assert (status, answer) == (200, {})
    stored = await hub.messages.get_by_external(line.id, str(event["message_token"]))
    assert stored is not None
    return stored


async def setup(
    hub: Hub, client: TestClient, fake: FakeViber, **kw: object
) -> tuple[Line, Message]:
    line = await registered_viber(hub, client, fake, **kw)
    return line, await customer_writes(hub, line, fake)


async def send(hub: Hub, inbound: Message, text: str | None, **kw: Any) -> Message:
    outgoing = await hub.replier.reply(inbound.conversation_id, "op-1", text, **kw)
    result = await hub.sender.attempt(outgoing.id)
    assert result is not None
    return result


async def test_set_webhook_is_verified_by_a_signed_callback_to_our_route(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    line = await registered_viber(hub, client, fake_viber, name="Shop Support")
    hook = fake_viber.webhooks[VIBER_TOKEN]
    assert hook["url"].endswith(f"/webhooks/viber/{line.id}")
    assert set(hook["event_types"]) == {
        "delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"
    }  # fmt: skip
    assert (await hub.lines.get(line.id)).settings["webhook_url"] == hook["url"]
    assert await count(hub, "messages") == 0  # the verification event is not a message


async def test_a_refused_set_webhook_leaves_no_line(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    fake_viber.rejected_tokens.add(VIBER_TOKEN)
    with pytest.raises(ViberSetupError, match="invalidAuthToken"):
        await registered_viber(hub, client, fake_viber)
    assert await hub.lines.list() == []


async def test_bad_or_missing_signature_is_401_and_nothing_stored(
    client: TestClient, hub: Hub
) -> None:
    line = await viber_line(hub)
    body = fixture("viber", "message_text")
    status, answer = await post_viber(client, line, body, token="another-bot-token")
    assert status == 401
    assert answer["error"]["code"] == "bad_signature"
    resp = await client.post(f"/webhooks/viber/{line.id}", data=body)
    assert resp.status == 401
    assert await count(hub, "messages") == 0


async def test_redelivered_message_token_is_stored_once(client: TestClient, hub: Hub) -> None:
    line = await viber_line(hub)
    body = fixture("viber", "message_text")
    for _ in range(3):
        assert (await post_viber(client, line, body))[0] == 200
    assert await count(hub, "messages") == 1
    stored = await hub.messages.get_by_external(line.id, "5741311803571721087")
    assert stored is not None  # the 64-bit token kept exactly, as a string


async def test_reply_is_sent_with_the_line_sender_name_and_receipts_move_it_forward(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    _, inbound = await setup(hub, client, fake_viber, name="Shop Support")
    sent = await send(hub, inbound, "Your parcel left today")
    assert sent.status is DeliveryStatus.SENT
    [body] = fake_viber.sent
    assert (body["receiver"], body["type"], body["text"]) == (
        USER,
        "text",
        "Your parcel left today",
    )
    assert body["sender"] == {"name": "Shop Support"}
    assert sent.external_id == str(body["message_token"])
    for event, expected in (("delivered", "delivered"), ("seen", "read"), ("delivered", "read")):
        await fake_viber.push(VIBER_TOKEN, fake_viber.receipt(event, body["message_token"], USER))
        assert (await hub.messages.get(sent.id)).status.value == expected
    await hub.drain_background()
    statuses = [e["data"]["status"] for e in await published(hub, "message.status")]
    assert statuses == ["sent", "delivered", "read"]  # a late "delivered" changes nothing


async def test_picture_and_file_replies_use_public_urls(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    _, inbound = await setup(hub, client, fake_viber)
    attachments = [
        Attachment(kind=AttachmentKind.IMAGE, url="https://cdn.example/sofa.jpg"),
        Attachment(kind=AttachmentKind.DOCUMENT, url="https://cdn.example/quote.pdf",
                   name="quote.pdf", size=2048),
    ]  # fmt: skip
    sent = await send(hub, inbound, "Blue sofa", attachments=attachments)
    assert sent.status is DeliveryStatus.SENT
    text, picture, file = fake_viber.sent
    assert (text["type"], text["text"]) == ("text", "Blue sofa")
    assert (picture["type"], picture["media"]) == ("picture", "https://cdn.example/sofa.jpg")
    assert (file["type"], file["file_name"], file["size"]) == ("file", "quote.pdf", 2048)


async def test_status_12_retries_later(
    client: TestClient, hub: Hub, clock: FrozenClock, fake_viber: FakeViber
) -> None:
    _, inbound = await setup(hub, client, fake_viber)
    fake_viber.fail_next(12)
    retrying = await send(hub, inbound, "hello")
    assert retrying.status is DeliveryStatus.RETRYING
    assert retrying.error is not None
    assert "rate limit" in retrying.error.reason
    clock.advance(60)
    assert await hub.sender.drain() == 1
    assert (await hub.messages.get(retrying.id)).status is DeliveryStatus.SENT


async def test_http_5xx_retries(client: TestClient, hub: Hub, fake_viber: FakeViber) -> None:
    _, inbound = await setup(hub, client, fake_viber)
    fake_viber.fail_next(503, http=True)
    assert (await send(hub, inbound, "hello")).status is DeliveryStatus.RETRYING


async def test_not_subscribed_fails_and_marks_the_customer_unreachable(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    line, inbound = await setup(hub, client, fake_viber)
    fake_viber.fail_next(6)
    failed = await send(hub, inbound, "hello")
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error is not None
    assert failed.error.code == "viber_6"
    assert "not subscribed" in failed.error.reason
    contact = await hub.contacts.find_by_identity(line.id, USER)
    assert contact is not None
    assert contact.identities[0].reachable is False
    assert (await send(hub, inbound, "again")).status is DeliveryStatus.FAILED
    assert fake_viber.sent == []


def test_every_documented_status_code_is_retryable_or_permanent() -> None:
    retryable = {code for code in range(1, 16) if delivery_error(code, None).retryable}
    assert retryable == {12}
    unreachable = {code for code in range(1, 16) if delivery_error(code, None).contact_unreachable}
    assert unreachable == {5, 6}
    assert delivery_error(99, "generalError").retryable  # unknown codes: try again later


async def test_unsubscribed_event_stops_replies(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    _, inbound = await setup(hub, client, fake_viber)
    unsubscribed = {"event": "unsubscribed", "timestamp": 1767225800000, "user_id": USER,
                    "message_token": fake_viber.next_token()}  # fmt: skip
    assert (await fake_viber.push(VIBER_TOKEN, unsubscribed))[0] == 200
    failed = await send(hub, inbound, "hello")
    assert failed.status is DeliveryStatus.FAILED
    assert fake_viber.sent == []


async def test_limit_of_messages_to_a_silent_customer_is_kept_before_calling_viber(
    client: TestClient, hub: Hub, clock: FrozenClock, fake_viber: FakeViber
) -> None:
    line, inbound = await setup(hub, client, fake_viber, settings={"max_unanswered": 2})
    assert [(await send(hub, inbound, f"m{i}")).status.value for i in range(3)] == [
        "sent", "sent", "retrying",
    ]  # fmt: skip
    held = (await hub.messages.list_for_conversation(inbound.conversation_id, limit=1))[0]
    assert held.error is not None
    assert "has not replied" in held.error.reason
    assert len(fake_viber.sent) == 2
    clock.advance(1)
    await customer_writes(hub, line, fake_viber, "ok, thanks")  # the customer answers
    clock.advance(600)
    assert await hub.sender.drain() == 1
    assert (await hub.messages.get(held.id)).status is DeliveryStatus.SENT


async def test_conversation_started_gets_one_welcome_and_returning_subscribers_none(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    await registered_viber(hub, client, fake_viber, welcome_text="Welcome to the shop!")
    new = fake_viber.user_event("conversation_started", USER, type="open", subscribed=False)
    status, answer = await fake_viber.push(VIBER_TOKEN, new)
    assert status == 200
    assert answer["type"] == "text"
    assert answer["text"] == "Welcome to the shop!"
    back = fake_viber.user_event("conversation_started", USER, type="open", subscribed=True)
    assert await fake_viber.push(VIBER_TOKEN, back) == (200, {})
    assert await count(hub, "messages") == 0


async def test_inbound_media_is_downloaded_before_the_link_expires(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    line = await registered_viber(hub, client, fake_viber)
    url = fake_viber.add_media(b"JPEG bytes", "receipt.jpg")
    event = fake_viber.message_event(
        USER, "receipt", type="picture", media=url, file_name="receipt.jpg", size=10
    )
    assert (await fake_viber.push(VIBER_TOKEN, event))[0] == 200
    await hub.drain_background()
    stored = await hub.messages.get_by_external(line.id, str(event["message_token"]))
    assert stored is not None
    assert stored.attachments[0].file_id is not None
    data, meta = await hub.files.get(stored.attachments[0].file_id)
    assert (data, meta["name"]) == (b"JPEG bytes", "receipt.jpg")
    events = await published(hub, "message.updated")
    assert (
        events[-1]["data"]["message"]["attachments"][0]["file_id"] == stored.attachments[0].file_id
    )


async def test_receipts_for_later_parts_of_a_split_reply_reach_the_same_message(
    client: TestClient, hub: Hub, fake_viber: FakeViber
) -> None:
    _, inbound = await setup(hub, client, fake_viber)
    long_text = ("word " * 1500).strip()  # 7,499 characters: two Viber messages
    sent = await send(hub, inbound, long_text)
    first, second = fake_viber.sent
    assert sent.external_id == str(first["message_token"])
    await fake_viber.push(
        VIBER_TOKEN, fake_viber.receipt("delivered", second["message_token"], USER)
    )
    assert (await hub.messages.get(sent.id)).status is DeliveryStatus.DELIVERED
    await fake_viber.push(VIBER_TOKEN, fake_viber.receipt("seen", second["message_token"], USER))
    assert (await hub.messages.get(sent.id)).status is DeliveryStatus.READ
    await hub.drain_background()
    events = await published(hub, "message.status")
    assert [(e["data"]["message_id"], e["data"]["status"]) for e in events] == [
        (sent.id, "sent"),
        (sent.id, "delivered"),
        (sent.id, "read"),
    ]
    assert await count(hub, "messages") == 2  # the customer's message and the one reply


async def test_deep_link_context_becomes_the_source_of_the_first_conversation(
    client: TestClient, hub: Hub, fake_viber: FakeViber, clock: FrozenClock
) -> None:
    line = await registered_viber(hub, client, fake_viber)
    started = fake_viber.user_event(
        "conversation_started", USER, type="open", subscribed=False, context="spring-ad"
    )
    assert (await fake_viber.push(VIBER_TOKEN, started))[0] == 200
    first = await customer_writes(hub, line, fake_viber, "Hello, about the ad")
    assert (await hub.conversations.get(first.conversation_id)).source == "spring-ad"
    contact = await hub.contacts.find_by_identity(line.id, USER)
    assert contact is not None
    assert contact.identities[0].pending_source is None  # consumed by that conversation
    await hub.conversations.set_status(
        first.conversation_id, ConversationStatus.RESOLVED, clock.now()
    )
    clock.advance(line.reopen_window_s + 1)
    later = await customer_writes(hub, line, fake_viber, "A new question")
    assert later.conversation_id != first.conversation_id
    assert (await hub.conversations.get(later.conversation_id)).source is None
