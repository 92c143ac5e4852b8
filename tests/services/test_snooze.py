"""Snoozed conversations come back when their time is up, and only then."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.models import ConversationStatus
from inbox.services.snooze import wake_snoozed
from inbox.wiring import Hub
from tests.helpers import make_line
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
    assert await wake_snoozed(hub.inbox, hub.publisher, clock) == 0
    await hub.conversations.set_status(second, ConversationStatus.RESOLVED, clock.now())
    clock.advance(hours=1)
    assert await wake_snoozed(hub.inbox, hub.publisher, clock) == 1
    woke = await hub.conversations.get(first)
    assert (woke.status, woke.snoozed_until) == (ConversationStatus.OPEN, None)
    assert (await hub.conversations.get(second)).status is ConversationStatus.RESOLVED
    entries = await hub.redis.xrevrange(hub.publisher.stream, count=1)
    assert b"conversation.status" in entries[0][1][b"e"]
