"""Snoozed conversations come back when their time is up, and only then."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.models import ConversationStatus
from inbox.wiring import Hub
from tests.helpers import api_body, make_line, post_api
from tests.web.api.support import customer_writes


async def test_due_snoozes_wake_and_resolved_ones_stay(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    first = await customer_writes(client, hub, line, "z-1", user_id="z1")
    second = await customer_writes(client, hub, line, "z-2", user_id="z2")
    until = clock.now() + timedelta(hours=1)
    for conversation_id in (first, second):
        await hub.conversations.set_status(
            conversation_id, ConversationStatus.SNOOZED, clock.now(), snoozed_until=until
        )
    assert await hub.lifecycle().wake_due() == 0
    await hub.conversations.set_status(second, ConversationStatus.RESOLVED, clock.now())
    clock.advance(hours=1)
    assert await hub.lifecycle().wake_due() == 1
    woke = await hub.conversations.get(first)
    assert (woke.status, woke.snoozed_until) == (ConversationStatus.OPEN, None)
    assert (await hub.conversations.get(second)).status is ConversationStatus.RESOLVED
    entries = await hub.redis.xrevrange(hub.publisher.stream, count=1)
    assert b"conversation.status" in entries[0][1][b"e"]


async def test_a_customer_message_wakes_a_snoozed_conversation_at_once(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    conversation_id = await customer_writes(client, hub, line, "w-1", user_id="w1")
    until = clock.now() + timedelta(days=1)
    await hub.conversations.set_status(
        conversation_id, ConversationStatus.SNOOZED, clock.now(), snoozed_until=until
    )
    clock.advance(60)
    again = await customer_writes(client, hub, line, "w-2", user_id="w1", text="still there?")
    assert again == conversation_id  # the same conversation, not a new one
    woke = await hub.conversations.get(conversation_id)
    assert (woke.status, woke.snoozed_until) == (ConversationStatus.OPEN, None)
    # A replay of the same delivery changes nothing and announces nothing again.
    status, _ = await post_api(client, line, api_body("w-2", "w1", "still there?"))
    assert status == 200
    await hub.drain_background()
    events = [json.loads(f[b"e"]) for _, f in await hub.redis.xrange(hub.publisher.stream)]
    changes = [
        (e["type"], e["data"]["conversation"]["status"])
        for e in events
        if e["type"] == "conversation.status"
    ]
    assert changes == [("conversation.status", "open")]
    assert await hub.lifecycle().wake_due() == 0  # nothing left to wake


async def test_concurrent_customer_messages_wake_a_snoozed_conversation_once(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    conversation_id = await customer_writes(client, hub, line, "c-0", user_id="c1")
    until = clock.now() + timedelta(days=1)
    await hub.conversations.set_status(
        conversation_id, ConversationStatus.SNOOZED, clock.now(), snoozed_until=until
    )
    bodies = [api_body(f"c-{i}", "c1", f"msg {i}") for i in range(1, 5)]
    results = await asyncio.gather(*(post_api(client, line, body) for body in bodies))
    assert [status for status, _ in results] == [200] * 4
    await hub.drain_background()
    assert (await hub.conversations.get(conversation_id)).status is ConversationStatus.OPEN
    events = [json.loads(f[b"e"]) for _, f in await hub.redis.xrange(hub.publisher.stream)]
    assert [e["type"] for e in events].count("conversation.status") == 1
