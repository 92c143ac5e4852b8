"""POST .../messages honours an Idempotency-Key for 24 h: a retry never sends twice; with the
live stream (Redis) failing, a reply is still stored and answered, never a 500."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from inbox.domain.clock import FrozenClock
from inbox.services.outbound import Replier
from inbox.store.events import RedisEventPublisher
from inbox.store.reply_keys import MongoReplyKeys
from inbox.wiring import Hub
from tests.fakes import callback_sink
from tests.web.api.support import customer_writes, make_world


async def test_a_retried_reply_with_the_same_key_is_stored_and_sent_once(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    world = await make_world(hub)
    async with callback_sink() as sink:
        line = world.line_a.model_copy(update={"settings": {"callback_url": sink.url}})
        await hub.lines.replace(line)
        conv = await customer_writes(client, hub, line, "k-1", user_id="uk")
        anna = world.h(world.op_a)
        assert (
            await client.post(f"/api/v1/conversations/{conv}/claim", headers=anna)
        ).status == 200
        url = f"/api/v1/conversations/{conv}/messages"
        keyed = {**anna, "Idempotency-Key": "retry-7"}
        answers = await asyncio.gather(
            *(client.post(url, json={"text": "once"}, headers=keyed) for _ in range(3))
        )
        assert [a.status for a in answers] == [201, 201, 201]
        ids = {(await a.json())["message"]["id"] for a in answers}
        assert len(ids) == 1
        await hub.drain_background()
        clock.advance(hours=23)
        again = await client.post(url, json={"text": "once"}, headers=keyed)
        assert (await again.json())["message"]["id"] in ids
        other = await client.post(url, json={"text": "twice"}, headers=anna)  # no key: new
        assert other.status == 201
        await hub.drain_background()
        assert await hub.sender.drain() == 0
    assert [r["text"] for r in sink.received] == ["once", "twice"]
    stored = await hub.messages.list_for_conversation(conv, before=None, limit=10)
    assert [m.text for m in stored if m.direction.value == "out"] == ["twice", "once"]
    clock.advance(hours=2)  # past 24 h the key is forgotten: the same key is a new reply
    late = await client.post(url, json={"text": "later"}, headers=keyed)
    assert (await late.json())["message"]["id"] not in ids


async def test_a_bad_idempotency_key_is_a_422(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    conv = await customer_writes(client, hub, world.line_a, "k-2", user_id="ub")
    anna = world.h(world.op_a)
    await client.post(f"/api/v1/conversations/{conv}/claim", headers=anna)
    for key in ("", "x" * 201, "has space", "ключ"):
        resp = await client.post(
            f"/api/v1/conversations/{conv}/messages",
            json={"text": "hi"},
            headers={**anna, "Idempotency-Key": key},
        )
        assert resp.status == 422, key
        assert (await resp.json())["error"]["code"] == "bad_idempotency_key"


async def test_with_the_live_stream_down_a_reply_is_still_stored(
    client: TestClient, hub: Hub
) -> None:
    world = await make_world(hub)
    conv = await customer_writes(client, hub, world.line_a, "k-3", user_id="uc")
    dead = Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.5)
    try:
        replier = Replier(
            conversations=hub.conversations,
            messages=hub.messages,
            publisher=RedisEventPublisher(dead, "dead:"),
            clock=hub.clock,
            keys=MongoReplyKeys(hub.db),
        )
        first = await replier.reply(conv, world.op_a.id, "stored anyway", idempotency_key="k")
        retry = await replier.reply(conv, world.op_a.id, "stored anyway", idempotency_key="k")
    finally:
        await dead.aclose()
    assert retry.id == first.id
    assert (await hub.messages.get(first.id)).text == "stored anyway"
