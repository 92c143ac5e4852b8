"""Replies through the fake Send API: parts, files, quick replies, the window, errors."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import FakeInstagram
from inbox.domain.clock import FrozenClock
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus, Line, Message, Role
from inbox.wiring import Hub
from tests.channels import count
from tests.connectors.instagram.helpers import CUSTOMER, instagram_line
from tests.helpers import operator_with_token


@pytest.fixture
def fake(fake_instagram: FakeInstagram, clock: FrozenClock) -> FakeInstagram:
    fake_instagram.clock = lambda: clock.now().timestamp()
    return fake_instagram


async def customer_writes(
    hub: Hub, fake: FakeInstagram, text: str = "Hi! Is the sofa in stock?"
) -> Message:
    item = fake.message(CUSTOMER, text)
    status, _ = await fake.push(fake.envelope(item))
    assert status == 200
    stored = await hub.messages.get_by_external(
        (await hub.lines.list())[0].id, item["message"]["mid"]
    )
    assert stored is not None
    return stored


async def setup(
    hub: Hub, client: TestClient, fake: FakeInstagram, **kw: Any
) -> tuple[Line, Message]:  # type: ignore[type-arg]
    line = await instagram_line(hub, fake.api_base, **kw)
    fake.webhook_url = str(client.make_url(f"/webhooks/instagram/{line.id}"))
    return line, await customer_writes(hub, fake)


async def send(
    hub: Hub, inbound: Message, text: str | None, operator: str | None = "op-1", **kw: Any
) -> Message:
    outgoing = await hub.replier.reply(inbound.conversation_id, operator, text, **kw)
    result = await hub.sender.attempt(outgoing.id)
    assert result is not None
    return result


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


# ---------------------------------------------------------------- the window


async def test_after_24_hours_a_line_without_human_agent_refuses(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    _, inbound = await setup(hub, client, fake)
    clock.advance(hours=25)
    sent = await send(hub, inbound, "Sorry for the delay")
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "24-hour window" in sent.error.reason
    assert sent.error.code == "instagram_window_closed"
    assert fake.sent == []


async def test_after_24_hours_a_human_operator_replies_with_the_tag(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    _, inbound = await setup(hub, client, fake, settings={"human_agent": True})
    clock.advance(days=3)
    sent = await send(hub, inbound, "Sorry for the delay")
    assert sent.status is DeliveryStatus.SENT
    assert fake.sent[0]["messaging_type"] == "MESSAGE_TAG"
    assert fake.sent[0]["tag"] == "HUMAN_AGENT"


async def test_after_24_hours_an_automatic_message_never_gets_the_tag(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    _, inbound = await setup(hub, client, fake, settings={"human_agent": True})
    clock.advance(days=2)
    sent = await send(hub, inbound, "Automatic follow-up", operator=None)
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "never an automatic message" in sent.error.reason
    assert fake.sent == []


async def test_after_7_days_even_a_human_is_refused(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    _, inbound = await setup(hub, client, fake, settings={"human_agent": True})
    clock.advance(days=7, hours=1)
    sent = await send(hub, inbound, "Still there?")
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "more than 7 days ago" in sent.error.reason
    assert fake.sent == []


async def test_inside_the_window_the_platforms_own_refusal_is_permanent(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    _, inbound = await setup(hub, client, fake)
    fake.fail_next(10, subcode=2534022)
    sent = await send(hub, inbound, "Hello")
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "outside the allowed window" in sent.error.reason


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


# ---------------------------------------------------------------- comments


async def comment(hub: Hub, fake: FakeInstagram, text: str = "How much is this?") -> Message:
    change = fake.comment(CUSTOMER, text)
    assert (await fake.push(fake.envelope(changes=[change])))[0] == 200
    line = (await hub.lines.list())[0]
    stored = await hub.messages.get_by_external(line.id, f"comment:{change['value']['id']}")
    assert stored is not None
    return stored


async def test_a_comment_opens_a_conversation_answered_by_one_private_reply(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    line = await instagram_line(hub, fake.api_base)
    fake.webhook_url = str(client.make_url(f"/webhooks/instagram/{line.id}"))
    first = await comment(hub, fake)
    conversation = await hub.conversations.get(first.conversation_id)
    assert conversation.source == "comment on post 18000000000000001"
    sent = await send(hub, first, "We sent you the price in Direct")
    assert sent.status is DeliveryStatus.SENT
    comment_id = (first.external_id or "").removeprefix("comment:")
    assert fake.sent[0]["recipient"] == {"comment_id": comment_id}
    assert "messaging_type" not in fake.sent[0]
    second = await send(hub, first, "And a second one?")
    assert second.status is DeliveryStatus.FAILED
    assert second.error is not None
    assert "one private reply" in second.error.reason
    assert len(fake.sent) == 1


async def test_a_comment_older_than_7_days_gets_no_private_reply(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    line = await instagram_line(hub, fake.api_base)
    fake.webhook_url = str(client.make_url(f"/webhooks/instagram/{line.id}"))
    first = await comment(hub, fake)
    clock.advance(days=8)
    sent = await send(hub, first, "Late answer")
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "within 7 days" in sent.error.reason
    assert fake.sent == []


async def test_after_the_customer_writes_in_direct_replies_are_normal_again(
    client: TestClient, hub: Hub, fake: FakeInstagram
) -> None:
    line = await instagram_line(hub, fake.api_base)
    fake.webhook_url = str(client.make_url(f"/webhooks/instagram/{line.id}"))
    first = await comment(hub, fake)
    await send(hub, first, "Price in Direct: 450 EUR")
    dm = await customer_writes(hub, fake, "Thanks! Can you deliver?")
    assert dm.conversation_id == first.conversation_id
    sent = await send(hub, dm, "Yes, next week")
    assert sent.status is DeliveryStatus.SENT
    assert fake.sent[-1]["recipient"] == {"id": CUSTOMER}


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


async def test_human_agent_written_as_text_false_stays_off(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    """Line settings come from the CLI's --set and the admin API as strings too."""
    _, inbound = await setup(hub, client, fake, settings={"human_agent": "false"})
    clock.advance(days=2)
    sent = await send(hub, inbound, "Late")
    assert sent.status is DeliveryStatus.FAILED
    assert fake.sent == []
