"""Ingest: edits, statuses, follow-up hooks and healing after a crash."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.events import MessageStored
from inbox.domain.inbound import InboundMessage
from inbox.domain.models import DeliveryStatus
from inbox.wiring import Hub
from tests.fakes import callback_sink
from tests.helpers import api_body, make_line, post_api


class RecordingHook:
    """A plugin that records what it was told; optionally fails the first N times."""

    def __init__(self, fail_times: int = 0) -> None:
        self.seen: list[MessageStored] = []
        self.fail_times = fail_times

    async def on_message_stored(self, stored: MessageStored) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("plugin down")
        self.seen.append(stored)


async def settle(hub: Hub) -> None:
    await hub.drain_background(within_s=5)


async def test_hooks_see_the_first_message_of_a_new_conversation(
    client: TestClient, hub: Hub
) -> None:
    hook = RecordingHook()
    hub.ingest.add_hook(hook)
    line = await make_line(hub)
    await post_api(client, line, api_body("a-1", user_id="c1"))
    await post_api(client, line, api_body("a-2", user_id="c1"))
    await settle(hub)
    # Follow-ups of separate requests run concurrently: compare by message, not by order.
    seen = {s.message.external_id: s for s in hook.seen}
    assert sorted(seen) == ["a-1", "a-2"]
    assert (seen["a-1"].new_conversation, seen["a-2"].new_conversation) == (True, False)
    assert (seen["a-1"].first_message, seen["a-2"].first_message) == (True, False)
    assert seen["a-1"].contact.name == "Ann"


async def test_events_are_published_to_the_stream(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    await post_api(client, line, api_body("ev-1"))
    await settle(hub)
    entries = await hub.redis.xrange(hub.publisher.stream)
    types = [json.loads(fields[b"e"])["type"] for _, fields in entries]
    assert types == ["conversation.created", "message.created"]


async def test_failed_hook_is_healed_later_and_others_still_run(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    flaky = RecordingHook(fail_times=1)
    steady = RecordingHook()
    hub.ingest.add_hook(flaky)
    hub.ingest.add_hook(steady)
    line = await make_line(hub)
    await post_api(client, line, api_body("h-1"))
    await settle(hub)
    assert flaky.seen == []
    assert len(steady.seen) == 1
    stored = await hub.messages.get_by_external(line.id, "h-1")
    assert stored is not None
    assert not await hub.messages.hooks_done(stored.id)
    assert await hub.ingest.heal(older_than_s=30) == 0  # too recent to be a crash
    clock.advance(31)
    assert await hub.ingest.heal(older_than_s=30) == 1
    assert [s.message.id for s in flaky.seen] == [stored.id]
    assert await hub.messages.hooks_done(stored.id)
    assert await hub.ingest.heal(older_than_s=30) == 0


async def test_redelivery_after_a_crash_finishes_the_follow_up(
    client: TestClient, hub: Hub
) -> None:
    """Phase 1 stored the message, then the process died: the platform's retry heals it."""
    line = await make_line(hub)
    inbound = InboundMessage(external_id="c-1", external_user_id="u", user_name="U", text="x")
    await hub.ingest.persist(line, [inbound])  # no follow-up: the crash
    hook = RecordingHook()
    hub.ingest.add_hook(hook)
    status, _ = await post_api(client, line, api_body("c-1", user_id="u", text="x"))
    await settle(hub)
    assert status == 200
    assert [s.message.external_id for s in hook.seen] == ["c-1"]
    assert await hub.db["messages"].count_documents({}) == 1
    conversation = await hub.db["conversations"].find_one({})
    assert conversation is not None
    assert conversation["unread_count"] == 1


async def test_edit_updates_text_and_keeps_history(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    await post_api(client, line, api_body("ed-1", text="I want 3"))
    await post_api(
        client, line, api_body("ed-1", text="I want 4", edited_at="2026-01-05T09:05:00Z")
    )
    stored = await hub.messages.get_by_external(line.id, "ed-1")
    assert stored is not None
    assert stored.text == "I want 4"
    assert [v.text for v in stored.versions] == ["I want 3"]


async def test_status_events_update_outbound_messages(client: TestClient, hub: Hub) -> None:
    async with callback_sink() as sink:
        line = await make_line(hub, settings={"callback_url": sink.url})
        await post_api(client, line, api_body("s-1", user_id="cust"))
        stored = await hub.messages.get_by_external(line.id, "s-1")
        assert stored is not None
        reply = await hub.replier.reply(stored.conversation_id, "op", "thanks")
        sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.external_id is not None
    body = f'{{"type": "status", "message_id": "{sent.external_id}", "status": "read"}}'.encode()
    status, _ = await post_api(client, line, body)
    assert status == 200
    assert (await hub.messages.get(reply.id)).status is DeliveryStatus.READ
    # a status for a message we never sent is acknowledged, not an error
    status, _ = await post_api(
        client, line, b'{"type": "status", "message_id": "nope", "status": "read"}'
    )
    assert status == 200


async def test_concurrent_first_messages_from_many_customers(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    await asyncio.gather(
        *(
            post_api(client, line, api_body(f"many-{i}", user_id=f"cust-{i % 10}"))
            for i in range(40)
        )
    )
    assert await hub.db["messages"].count_documents({}) == 40
    assert await hub.db["conversations"].count_documents({}) == 10
    assert await hub.db["contacts"].count_documents({}) == 10
