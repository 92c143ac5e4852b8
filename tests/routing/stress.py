"""Shared parts of the multi-process routing tests: seeding, one worker process, invariants.

A worker runs in its own OS process (``spawn``), opens its own hub on the shared MongoDB
database and Redis prefix, and hammers the router: route, flap presence, resolve. After
every decision it reads the assignment back and checks the invariants on MongoDB.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from inbox.domain.errors import Conflict, Unavailable
from inbox.domain.models import (
    ChannelKind,
    Conversation,
    ConversationStatus,
    Line,
    Operator,
    Presence,
    RoutingRules,
)
from inbox.settings import Settings
from inbox.store.conversations import conversation_doc
from inbox.store.docs import to_doc
from inbox.wiring import Hub, open_hub

# The hub translates a Redis outage into Unavailable; raw errors can still escape pub/sub.
REDIS_DOWN = (Unavailable, RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


@dataclass(frozen=True)
class Plan:
    """What one worker process does; plain data, so it pickles for ``spawn``."""

    settings: dict[str, Any]
    conversation_ids: list[str]
    operator_ids: list[str]
    seed: int
    flap_every: int = 7  # one presence change every n conversations
    top_k: int | None = None  # the router's head of the availability index, if not default
    resolve_share: float = 0.6


async def seed(
    hub: Hub, *, operators: int, conversations: int, seed: int = 7
) -> tuple[Line, list[Operator], list[str]]:
    """Operators with random capacities, all online, and unassigned conversations."""
    rng = random.Random(seed)
    now = hub.clock.now()
    line = Line(
        kind=ChannelKind.API,
        name="stress",
        routing=RoutingRules(no_reply_timeout_s=24 * 3600, match_language=False),
        created_at=now,
    )
    await hub.lines.add(line)
    ops = [
        Operator(login=f"op{i}", name=f"Op {i}", max_open=rng.randint(1, 6), created_at=now)
        for i in range(operators)
    ]
    await hub.db["operators"].insert_many([to_doc(o) for o in ops])
    convs = [
        Conversation(
            line_id=line.id,
            channel=ChannelKind.API,
            contact_id=f"contact-{i}",
            created_at=now,
            updated_at=now,
            queued_at=now,
            last_customer_message_at=now,
            last_message_at=now,
        )
        for i in range(conversations)
    ]
    await hub.db["conversations"].insert_many([conversation_doc(c) for c in convs])
    for op in ops:
        await hub.router.set_presence(op.id, Presence.ONLINE)
    return line, ops, [c.id for c in convs]


def settings_dict(settings: Settings) -> dict[str, Any]:
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    return {
        "mongo_url": settings.mongo_url.get_secret_value(),
        "redis_url": settings.redis_url.get_secret_value(),
        "mongo_db": settings.mongo_db,
        "redis_prefix": settings.redis_prefix,
        "data_dir": str(settings.data_dir),
        "log_level": "WARNING",
    }


def settings_from(data: dict[str, Any]) -> Settings:
    values = dict(data)
    values["mongo_url"] = SecretStr(values["mongo_url"])
    values["redis_url"] = SecretStr(values["redis_url"])
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def capacity_violations(
    hub: Hub, operator_id: str | None = None, caps: dict[str, int] | None = None
) -> list[str]:
    """Operators holding more active conversations in MongoDB than their ``max_open``."""
    caps = caps or {o.id: o.max_open for o in await hub.operators.list()}
    query: dict[str, Any] = {"active": True, "assignee_id": {"$type": "string"}}
    if operator_id is not None:
        query["assignee_id"] = operator_id
    counts = Counter(
        [d["assignee_id"] async for d in hub.db["conversations"].find(query, {"assignee_id": 1})]
    )
    return [f"{op} holds {n} > {caps[op]}" for op, n in counts.items() if n > caps[op]]


def hop_violations(conv: Conversation) -> list[str]:
    """The hops must end where the assignee is: one writer won each change."""
    if not conv.hops:
        return [] if conv.assignee_id is None else [f"{conv.id} assigned without a hop"]
    if conv.hops[-1].to_operator != conv.assignee_id:
        return [f"{conv.id} last hop to {conv.hops[-1].to_operator}, held by {conv.assignee_id}"]
    return []


OUTAGES = Counter[str]()


async def retry(coro_fn: Any, *args: Any, **kw: Any) -> Any:
    """Call through a Redis restart: wait and try again while it is down."""
    for _ in range(200):
        try:
            return await coro_fn(*args, **kw)
        except REDIS_DOWN:
            OUTAGES["redis_errors"] += 1
            await asyncio.sleep(0.05)
    raise RuntimeError("redis did not come back")


async def run_plan(plan: Plan) -> dict[str, Any]:
    rng = random.Random(plan.seed)
    settings = settings_from(plan.settings)
    violations: list[str] = []
    assigned = resolved = flaps = 0
    async with open_hub(settings) as hub:
        if plan.top_k is not None and hub.routing is not None:
            hub.routing.config = dataclasses.replace(hub.routing.config, top_k=plan.top_k)
        caps = {o.id: o.max_open for o in await hub.operators.list()}
        for n, conv_id in enumerate(plan.conversation_ids):
            conv = await retry(hub.router.route, conv_id)
            # every read of an assignment checks the invariants
            conv = await hub.conversations.get(conv_id)
            violations += hop_violations(conv)
            if conv.assignee_id is not None:
                assigned += 1
                violations += await capacity_violations(hub, conv.assignee_id, caps)
            if n % plan.flap_every == 0:
                op = rng.choice(plan.operator_ids)
                presence = rng.choice([Presence.ONLINE, Presence.ONLINE, Presence.AWAY])
                if rng.random() < 0.2:
                    presence = Presence.OFFLINE
                await retry(hub.router.set_presence, op, presence)
                flaps += 1
            if rng.random() < plan.resolve_share:
                # an operator resolves one of their chats: capacity frees, the queue moves
                held = await hub.conversations.list(
                    assignee_id=rng.choice(plan.operator_ids),
                    status=ConversationStatus.OPEN,
                    limit=5,
                )
                if held:
                    target = rng.choice(held)
                    await hub.conversations.set_status(
                        target.id, ConversationStatus.RESOLVED, hub.clock.now()
                    )
                    with contextlib.suppress(Conflict):
                        await retry(hub.router.on_resolved, target.id)
                    resolved += 1
    return {
        "violations": violations,
        "assigned": assigned,
        "resolved": resolved,
        "flaps": flaps,
        "redis_errors": OUTAGES["redis_errors"],
    }


def process_main(plan: Plan) -> dict[str, Any]:
    """Entry point of one spawned process."""
    from inbox import logconfig

    logconfig.configure("WARNING", "console")
    return asyncio.run(run_plan(plan))


async def settle(hub: Hub, operator_ids: list[str]) -> None:
    """Everyone online, then drain until the queue stops moving."""
    for op in operator_ids:
        await hub.router.set_presence(op, Presence.ONLINE)
    router = hub.routing
    assert router is not None
    while await router.drain(limit=200):
        pass


async def final_invariants(hub: Hub) -> list[str]:
    """Checked on the quiet system, before any reconciliation."""
    router = hub.routing
    assert router is not None
    problems = await capacity_violations(hub)
    truth = dict(await hub.conversations.assignments())
    holds = await router.state.holds()
    if holds != truth:
        diff = set(holds.items()) ^ set(truth.items())
        problems.append(f"redis holds differ from mongo: {sorted(diff)[:5]}")
    counted = Counter(truth.values())
    loads = {op: n for op, n in (await router.state.loads()).items() if n}
    if loads != dict(counted):
        problems.append(f"loads {loads} != mongo counts {dict(counted)}")
    async for doc in hub.db["conversations"].find({"active": True}):
        problems += hop_violations(
            Conversation.model_validate(
                {("id" if k == "_id" else k): v for k, v in doc.items() if k != "active"}
            )
        )
    presence, _ = await router.state.presence_all()
    caps_now = {o.id: o.max_open for o in await hub.operators.list() if o.active}
    available = {
        op for op, cap in caps_now.items() if presence.get(op) == "online" and counted[op] < cap
    }
    indexed = await router.state.index(None)
    if sorted(indexed) != sorted(available) or len(indexed) != len(set(indexed)):
        problems.append(f"availability index {sorted(indexed)} != {sorted(available)}")
    queue = await hub.conversations.queue(limit=1)
    if queue:
        caps = {o.id: o.max_open for o in await hub.operators.list()}
        free = [op for op, cap in caps.items() if counted.get(op, 0) < cap]
        if free:
            problems.append(f"queued conversations while {len(free)} operators have room")
    return problems
