"""The reply window and comment replies through the fake Send API."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import FakeInstagram
from inbox.domain.clock import FrozenClock
from inbox.domain.models import DeliveryStatus, Message
from inbox.wiring import Hub
from tests.connectors.instagram.helpers import (
    CUSTOMER,
    customer_writes,
    instagram_line,
    send,
    setup,
)

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


async def test_human_agent_written_as_text_false_stays_off(
    client: TestClient, hub: Hub, fake: FakeInstagram, clock: FrozenClock
) -> None:
    """Line settings come from the CLI's --set and the admin API as strings too."""
    _, inbound = await setup(hub, client, fake, settings={"human_agent": "false"})
    clock.advance(days=2)
    sent = await send(hub, inbound, "Late")
    assert sent.status is DeliveryStatus.FAILED
    assert fake.sent == []


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
