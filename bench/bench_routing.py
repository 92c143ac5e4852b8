"""Routing: decision latency and assignments/s at 20, 200 and 2,000 operators.

The floor is one bare EVALSHA round trip to the same Valkey, measured in the same run.
"decision" is what the router adds before the MongoDB write: for least busy, the head of
the pool's availability index (one pipelined round trip), else a snapshot of presence and
load of the whole pool; the policy chain in Python; and the Lua script that takes the hold,
moves the counters and updates the index. "route + mongo" adds the conditional MongoDB
update with its hop (on the embedded SecantusDB, which dominates it).
"""

from __future__ import annotations

import asyncio
import time

from bench.common import Context, Row, latency_row
from inbox.domain.models import (
    ChannelKind,
    Contact,
    Conversation,
    Line,
    Operator,
    RoutingRules,
    RoutingStrategy,
)
from inbox.store.conversations import conversation_doc
from inbox.store.docs import to_doc
from inbox.wiring import Hub, open_hub

SECTION = "Routing"


async def _seed_operators(hub: Hub, n: int) -> list[str]:
    now = hub.clock.now()
    ops = [
        Operator(
            login=f"op{i}",
            name=f"Op {i}",
            max_open=1_000_000,  # the benchmark measures decisions, not running out of room
            languages=("uk",) if i % 3 == 0 else ("en",),
            teams=(f"team{i // 20}",),  # teams of 20, for the per-team case
            created_at=now,
        )
        for i in range(n)
    ]
    await hub.db["operators"].insert_many([to_doc(o) for o in ops])
    router = hub.routing
    assert router is not None
    async with hub.redis.pipeline(transaction=False) as pipe:
        for o in ops:
            pipe.hset(router.state.k_pres, o.id, "online")
        await pipe.execute()
    await router.reconcile()
    return [o.id for o in ops]


async def _floor(hub: Hub, samples: int) -> Row:
    sha = await hub.redis.script_load("return 1")
    lat = []
    start = time.perf_counter()
    for _ in range(samples):
        t = time.perf_counter()
        await hub.redis.evalsha(sha, 0)
        lat.append(time.perf_counter() - t)
    return latency_row(SECTION, "floor: bare EVALSHA", lat, time.perf_counter() - start)


async def _decisions(
    hub: Hub,
    operators: int,
    samples: int,
    strategy: RoutingStrategy,
    team: str | None = None,
    language: str = "uk",
) -> Row:
    router = hub.routing
    assert router is not None
    now = hub.clock.now()
    line = Line(
        kind=ChannelKind.API,
        name="bench",
        routing=RoutingRules(strategy=strategy, team_id=team),
        created_at=now,
    )
    contact = Contact(name="c", language=language, created_at=now, updated_at=now)
    lat = []
    start = time.perf_counter()
    for _ in range(samples):
        conv = Conversation(
            line_id=line.id,
            channel=line.kind,
            contact_id=contact.id,
            created_at=now,
            updated_at=now,
        )
        t = time.perf_counter()
        decision = await router.decider.choose(conv, line, contact)
        lat.append(time.perf_counter() - t)
        assert decision.status == "ok", decision
    elapsed = time.perf_counter() - start
    return latency_row(
        SECTION,
        f"decision, {operators} operators, {strategy.value}"
        + (", line routed to a team of 20" if team else "")
        + (f", customer language {language} nobody speaks" if language != "uk" else ""),
        lat,
        elapsed,
        note="index head (least busy) or snapshot + policies + Lua",
    )


async def _routes(hub: Hub, samples: int, concurrency: int) -> Row:
    router = hub.routing
    assert router is not None
    now = hub.clock.now()
    line = Line(kind=ChannelKind.API, name="bench-route", created_at=now)
    await hub.lines.add(line)
    convs = [
        Conversation(
            line_id=line.id,
            channel=line.kind,
            contact_id=f"c{i}",
            created_at=now,
            updated_at=now,
            last_customer_message_at=now,
        )
        for i in range(samples)
    ]
    await hub.db["conversations"].insert_many([conversation_doc(c) for c in convs])
    contact = Contact(name="c", created_at=now, updated_at=now)
    lat: list[float] = []
    queue = list(convs)

    async def worker() -> None:
        while queue:
            conv = queue.pop()
            t = time.perf_counter()
            routed = await router.route_conversation(conv, contact)
            lat.append(time.perf_counter() - t)
            assert routed.assignee_id is not None

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latency_row(
        SECTION,
        f"route + mongo write, {concurrency} concurrent",
        lat,
        time.perf_counter() - start,
        note="decision + conditional update with hop (SecantusDB)",
    )


async def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    samples = 200 if ctx.quick else 2000
    for operators in (20, 200, 2000):
        async with open_hub(ctx.settings()) as hub:
            try:
                await _seed_operators(hub, operators)
                if operators == 20:
                    rows.append(await _floor(hub, samples))
                for strategy in (RoutingStrategy.LEAST_BUSY, RoutingStrategy.ROUND_ROBIN):
                    rows.append(await _decisions(hub, operators, samples, strategy))
                if operators == 2000:
                    rows.append(
                        await _decisions(
                            hub, operators, samples, RoutingStrategy.LEAST_BUSY, "team7"
                        )
                    )
                    # no speaker anywhere: the language index is empty, the pool head decides
                    rows.append(
                        await _decisions(
                            hub, operators, samples // 4, RoutingStrategy.LEAST_BUSY, None, "de"
                        )
                    )
                if operators == 20:
                    rows.append(await _routes(hub, 100 if ctx.quick else 500, 1))
                    rows.append(await _routes(hub, 100 if ctx.quick else 500, 8))
            finally:
                await hub.db.client.drop_database(hub.settings.mongo_db)
    return rows
