"""Replies through the fake Send API: parts, files, quick replies, the window, errors."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import FakeInstagram
from inbox.domain.clock import FrozenClock
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus, Role
from inbox.wiring import Hub
from tests.channels import count
from tests.connectors.instagram.helpers import CUSTOMER, customer_writes, send, setup
from tests.helpers import operator_with_token


async def test_a_reply_inside_the_window_is_a_response(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    sent = await send(hub, inbound, "Yes, it is!")
    assert sent.status is DeliveryStatus.SENT
    assert fake.sent == [
        {
            "recipient": {"id": CUSTOMER},
            "messaging_type": "RESPONSE",
            "message": {"text": "Yes, it is!"},
            "message_id": sent.external_id,
        }
    ]
    assert ("POST", "/v23.0/17841400000000001/messages") in fake.calls


async def test_the_page_flavour_sends_through_the_page(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake, settings={"page_id": "1122334455"})
    await send(hub, inbound, "Hello")
    assert ("POST", "/v23.0/1122334455/messages") in fake.calls


async def test_long_text_is_split_within_the_byte_limit(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    text = ("Доброго дня! Диван «Берлін» є в наявності. " * 60).strip()
    sent = await send(hub, inbound, text)
    assert sent.status is DeliveryStatus.SENT
    parts = [b["message"]["text"] for b in fake.sent]
    assert len(parts) >= 3
    assert all(len(p.encode()) <= 1000 for p in parts)
    assert "".join(parts) == text
    assert len(sent.extra_external_ids if hasattr(sent, "extra_external_ids") else []) == 0
    doc = await hub.db["messages"].find_one({"_id": sent.id})
    assert doc is not None
    assert len(doc["extra_external_ids"]) == len(parts) - 1


async def test_images_and_files_go_by_url(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    files = [
        Attachment(kind=AttachmentKind.IMAGE, url="https://cdn.example/sofa.jpg"),
        Attachment(kind=AttachmentKind.DOCUMENT, url="https://cdn.example/offer.pdf", name="o"),
    ]
    sent = await send(hub, inbound, "Photo and offer", attachments=files)
    assert sent.status is DeliveryStatus.SENT
    assert [b["message"] for b in fake.sent] == [
        {"text": "Photo and offer"},
        {"attachment": {"type": "image", "payload": {"url": "https://cdn.example/sofa.jpg"}}},
        {"attachment": {"type": "file", "payload": {"url": "https://cdn.example/offer.pdf"}}},
    ]


async def test_a_file_without_a_public_url_is_refused(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    files = [Attachment(kind=AttachmentKind.DOCUMENT, file_id="f1", name="x.pdf")]
    sent = await send(hub, inbound, None, attachments=files)
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "public URL" in sent.error.reason
    assert fake.sent == []


async def test_quick_replies_ride_on_the_last_text_part(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    sent = await send(hub, inbound, "How can we help?", quick_replies=("Delivery", "Returns"))
    assert sent.status is DeliveryStatus.SENT
    assert fake.sent[0]["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Delivery", "payload": "Delivery"},
        {"content_type": "text", "title": "Returns", "payload": "Returns"},
    ]


@pytest.mark.parametrize(
    ("choices", "reason"),
    [
        (tuple(f"Choice {i}" for i in range(14)), "at most 13 quick replies"),
        (("A title longer than twenty",), "1 to 20 characters"),
    ],
)
async def test_too_many_or_too_long_quick_replies_are_refused_before_sending(
    client: TestClient, hub: Hub, fake: FakeInstagram, choices: tuple[str, ...], reason: str
) -> None:
    _, inbound = await setup(hub, client, fake)
    sent = await send(hub, inbound, "Pick one", quick_replies=choices)
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert reason in sent.error.reason
    assert fake.sent == []


# ---------------------------------------------------------------- Graph errors


@pytest.mark.parametrize(
    ("code", "http", "status", "reason"),
    [
        (4, 400, DeliveryStatus.RETRYING, "rate limit"),
        (613, 400, DeliveryStatus.RETRYING, "rate limit"),
        (2, 503, DeliveryStatus.RETRYING, "unavailable"),
        (190, 400, DeliveryStatus.FAILED, "access token"),
        (551, 400, DeliveryStatus.FAILED, "unavailable on Instagram"),
        (100, 400, DeliveryStatus.FAILED, "refused the message"),
    ],
)
async def test_graph_errors_are_retryable_or_permanent_with_a_reason(
    client: TestClient,
    hub: Hub,
    fake: FakeInstagram,
    code: int,
    http: int,
    status: DeliveryStatus,
    reason: str,
) -> None:
    line, inbound = await setup(hub, client, fake)
    fake.fail_next(code, http=http)
    sent = await send(hub, inbound, "Hello")
    assert sent.status is status
    assert sent.error is not None
    assert reason in sent.error.reason
    assert "IGAA" not in sent.error.reason  # the token never shows
    if code == 4:
        doc = await hub.db["messages"].find_one({"_id": sent.id})
        assert doc is not None
        delay = (doc["next_attempt_at"] - hub.clock.now()).total_seconds()
        assert delay == pytest.approx(60, abs=1)
    if code == 551:
        contact = await hub.contacts.find_by_identity(line.id, CUSTOMER)
        assert contact is not None
        assert contact.identities[0].reachable is False


async def test_a_retried_rate_limit_is_sent_once_the_limit_lifts(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    _, inbound = await setup(hub, client, fake)
    fake.fail_next(4)
    first = await send(hub, inbound, "Hello")
    assert first.status is DeliveryStatus.RETRYING
    clock.advance(seconds=61)
    again = await hub.sender.attempt(first.id)
    assert again is not None
    assert again.status is DeliveryStatus.SENT
    assert len(fake.sent) == 1


# ---------------------------------------------------------------- echoes


@pytest.mark.parametrize("echo_first", [False, True], ids=["after_answer", "before_answer"])
async def test_the_echo_of_our_own_send_is_not_a_second_message(
    client: TestClient, hub: Hub, fake: FakeInstagram, echo_first: bool
) -> None:
    fake.echoes, fake.echo_first = True, echo_first
    _, inbound = await setup(hub, client, fake)
    sent = await send(hub, inbound, "Yes, it is!")
    await hub.drain_background()
    for task in list(fake._tasks):  # the fake's echo pushes
        await task
    await hub.drain_background()
    assert sent.status is DeliveryStatus.SENT
    outbound = [d async for d in hub.db["messages"].find({"direction": "out"})]
    assert len(outbound) == 1
    assert outbound[0]["external_id"] == fake.sent[0]["message_id"]


async def test_a_reply_typed_in_the_instagram_app_is_stored_and_never_sent(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _line, inbound = await setup(hub, client, fake)
    assert (await fake.app_echo(CUSTOMER, "Answered from my phone"))[0] == 200
    await hub.drain_background()
    assert await hub.sender.drain() == 0
    docs = [d async for d in hub.db["messages"].find({"direction": "out"})]
    assert len(docs) == 1
    echo = await hub.messages.get(docs[0]["_id"])
    assert (echo.text, echo.sent_outside, echo.sender_id, echo.status) == (
        "Answered from my phone", True, None, DeliveryStatus.SENT,
    )  # fmt: skip
    assert echo.conversation_id == inbound.conversation_id
    assert fake.sent == []
    # The same echo again (Meta retries) is stored once.
    await fake.push(fake.envelope(fake._echo(CUSTOMER, echo.external_id or "", {"text": "x"})))
    assert await count(hub, "messages") == 2


# ---------------------------------------------------------------- profiles


async def test_the_profile_is_fetched_after_the_answer_and_cached(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    fake.profiles[CUSTOMER] = {
        "name": "Olena K",
        "username": "olena.shop",
        "profile_pic": "https://cdn.example/olena.jpg",
    }
    line, _inbound = await setup(hub, client, fake)
    await hub.drain_background()
    contact = await hub.contacts.find_by_identity(line.id, CUSTOMER)
    assert contact is not None
    identity = contact.identities[0]
    assert (contact.name, identity.username, identity.avatar_url) == (
        "Olena K", "olena.shop", "https://cdn.example/olena.jpg",
    )  # fmt: skip
    await customer_writes(hub, fake, "Another question")
    await hub.drain_background()
    lookups = [c for c in fake.calls if c == ("GET", f"/v23.0/{CUSTOMER}")]
    assert len(lookups) == 1


async def test_a_missing_profile_leaves_the_message_and_contact_alone(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    line, inbound = await setup(hub, client, fake)
    await hub.drain_background()
    contact = await hub.contacts.find_by_identity(line.id, CUSTOMER)
    assert contact is not None
    assert contact.name == CUSTOMER
    assert await hub.messages.hooks_done(inbound.id)


async def test_an_echo_stored_before_our_answer_gives_way_to_our_copy(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    """An echo that did not look like the send in flight (say, the text was changed on
    the way) was stored as sent outside; our own copy replaces it when the answer comes."""
    _line, inbound = await setup(hub, client, fake)
    reply = await hub.replier.reply(inbound.conversation_id, "op-1", "Our text")
    mid = fake.next_mid()
    await fake.push(fake._echo(CUSTOMER, mid, {"text": "Different text"}))
    assert await count(hub, "messages") == 3
    sent = await hub.messages.mark_sent(reply.id, mid, hub.clock.now())
    assert sent.external_id == mid
    assert await count(hub, "messages") == 2


async def test_quick_replies_from_the_reply_api_reach_instagram(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    _, headers = await operator_with_token(hub, "ann", Role.ADMIN)
    resp = await client.post(
        f"/api/v1/conversations/{inbound.conversation_id}/messages",
        json={"text": "Which one?", "quick_replies": ["Blue", "Grey"]},
        headers=headers,
    )
    assert resp.status == 201
    await hub.drain_background()
    assert [q["title"] for q in fake.sent[0]["message"]["quick_replies"]] == ["Blue", "Grey"]
