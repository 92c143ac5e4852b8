"""Replies go out through the API channel's signed callback, with retries and failures."""

from __future__ import annotations

import hashlib
import hmac
import json

from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.models import ConversationStatus, DeliveryStatus, Direction
from inbox.domain.web_ports import ConversationFilter
from inbox.wiring import Hub, open_hub
from tests.fakes import callback_sink
from tests.helpers import api_body, make_line, post_api


async def start_conversation(client: TestClient, hub: Hub, callback_url: str) -> tuple[str, str]:  # type: ignore[type-arg]
    line = await make_line(hub, settings={"callback_url": callback_url})
    await post_api(client, line, api_body("in-1", user_id="cust-1"))
    stored = await hub.messages.get_by_external(line.id, "in-1")
    assert stored is not None
    return line.id, stored.conversation_id


async def test_reply_is_signed_and_marked_sent(client: TestClient, hub: Hub) -> None:
    async with callback_sink() as sink:
        line_id, conv_id = await start_conversation(client, hub, sink.url)
        reply = await hub.replier.reply(conv_id, "op-1", "Hello from us")
        assert reply.status is DeliveryStatus.PENDING
        sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    assert sent.external_id == "remote-1"
    assert sink.received[0]["text"] == "Hello from us"
    assert sink.received[0]["user_id"] == "cust-1"
    secret = (await hub.lines.get(line_id)).secret("secret")
    body = json.dumps(sink.received[0], separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = sink.headers[0]["X-Inbox-Timestamp"]
    assert int(timestamp) == int(hub.clock.now().timestamp())
    signed = timestamp.encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert sink.headers[0]["X-Inbox-Signature"] == "sha256=" + expected
    conversation = await hub.conversations.get(conv_id)
    assert conversation.first_operator_response_at is not None
    assert conversation.unread_count == 0


async def test_server_errors_retry_then_succeed(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink([503, 429]) as sink:
        _, conv_id = await start_conversation(client, hub, sink.url)
        reply = await hub.replier.reply(conv_id, "op-1", "retry me")
        first = await hub.sender.attempt(reply.id)
        assert first is not None
        assert first.status is DeliveryStatus.RETRYING
        assert await hub.sender.drain() == 0  # not due yet
        clock.advance(400)
        assert await hub.sender.drain() == 1
        second = await hub.messages.get(reply.id)
        assert second.status is DeliveryStatus.RETRYING  # the 429
        assert second.error is not None
        clock.advance(6)
        assert await hub.sender.drain() == 0  # Retry-After: 7 is honoured
        clock.advance(2)
        assert await hub.sender.drain() == 1
    final = await hub.messages.get(reply.id)
    assert final.status is DeliveryStatus.SENT
    assert final.attempts == 3
    assert len(sink.received) == 3
    assert {r["message_id"] for r in sink.received} == {reply.id}


async def test_client_error_fails_at_once_with_reason(client: TestClient, hub: Hub) -> None:
    async with callback_sink([400]) as sink:
        _, conv_id = await start_conversation(client, hub, sink.url)
        reply = await hub.replier.reply(conv_id, "op-1", "bad")
        failed = await hub.sender.attempt(reply.id)
    assert failed is not None
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error is not None
    assert "400" in failed.error.reason


async def test_pending_reply_survives_a_restart_and_is_sent_once(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink() as sink:
        _, conv_id = await start_conversation(client, hub, sink.url)
        reply = await hub.replier.reply(conv_id, "op-1", "after restart")
        # the process stops before sending; a new one (the worker) starts on the same data
        async with open_hub(hub.settings, clock=clock) as restarted:
            assert await restarted.sender.drain() == 1
            assert await restarted.sender.drain() == 0
    assert len(sink.received) == 1
    assert (await hub.messages.get(reply.id)).status is DeliveryStatus.SENT


async def test_note_is_not_sent_and_reply_reopens(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink() as sink:
        _, conv_id = await start_conversation(client, hub, sink.url)
        note = await hub.replier.reply(conv_id, "op-1", "internal", note=True)
        assert note.direction is Direction.NOTE
        assert await hub.sender.drain() == 0
        await hub.conversations.set_status(conv_id, ConversationStatus.RESOLVED, clock.now())
        await hub.replier.reply(conv_id, "op-1", "one more thing")
        assert (await hub.conversations.get(conv_id)).status is ConversationStatus.OPEN
        assert await hub.sender.drain() == 1
    assert [r["text"] for r in sink.received] == ["one more thing"]


async def test_unreachable_callback_retries(client: TestClient, hub: Hub) -> None:
    _, conv_id = await start_conversation(client, hub, "http://127.0.0.1:9/callback")
    reply = await hub.replier.reply(conv_id, "op-1", "nobody home")
    result = await hub.sender.attempt(reply.id)
    assert result is not None
    assert result.status is DeliveryStatus.RETRYING


async def test_only_a_reply_the_platform_accepted_counts_as_a_response(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    async with callback_sink([400]) as sink:
        _, conv_id = await start_conversation(client, hub, sink.url)
        clock.advance(minutes=20)
        refused = await hub.replier.reply(conv_id, "op-1", "refused")
        assert (await hub.sender.attempt(refused.id)).status is DeliveryStatus.FAILED  # type: ignore[union-attr]
        after_failure = await hub.conversations.get(conv_id)
        assert after_failure.first_operator_response_at is None
        assert after_failure.last_response_at is None
        waiting = await hub.inbox.count({}, ConversationFilter(waiting_min=10), clock.now())
        assert waiting == 1  # the customer still waits: the waiting badge stays
        clock.advance(60)
        accepted = await hub.replier.reply(conv_id, "op-1", "accepted")
        assert (await hub.sender.attempt(accepted.id)).status is DeliveryStatus.SENT  # type: ignore[union-attr]
    answered = await hub.conversations.get(conv_id)
    assert answered.first_operator_response_at == clock.now()
    assert await hub.inbox.count({}, ConversationFilter(waiting_min=10), clock.now()) == 0
