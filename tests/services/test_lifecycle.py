"""Resolve, reopen, snooze and wake through the one use-case, with the router told each time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox.domain.clock import FrozenClock
from inbox.domain.errors import ValidationFailed
from inbox.domain.models import ConversationStatus, Presence
from inbox.wiring import Hub
from tests.routing.support import add_operator, customer_writes, routed_line, router_of


async def online(hub: Hub, *logins: str) -> list[str]:
    ids = []
    for login in logins:
        op = await add_operator(hub, login)
        await hub.router.set_presence(op.id, Presence.ONLINE)
        ids.append(op.id)
    return ids


async def test_a_snooze_keeps_the_assignee_and_pauses_the_no_reply_deadline(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await routed_line(hub, no_reply_timeout_s=60)
    ids = await online(hub, "ann", "bob")
    conv = await customer_writes(hub, line)
    holder = conv.assignee_id
    assert holder is not None
    assert conv.reply_due_at is not None
    snoozed = await hub.lifecycle().snooze(conv.id, clock.now() + timedelta(hours=1))
    assert snoozed.reply_due_at is None
    clock.advance(120)  # well past the no-reply deadline
    await hub.router.sweep()
    still = await hub.conversations.get(conv.id)
    assert (still.status, still.assignee_id) == (ConversationStatus.SNOOZED, holder)
    assert [h.reason for h in still.hops] == ["routed"]
    clock.advance(hours=1)
    for op in ids:  # still at work an hour later
        await hub.router.heartbeat(op)
    assert await hub.lifecycle().wake_due() == 1
    woke = await hub.conversations.get(conv.id)
    assert (woke.status, woke.assignee_id) == (ConversationStatus.OPEN, holder)
    assert woke.reply_due_at == clock.now() + timedelta(seconds=60)  # a fresh deadline
    assert (await router_of(hub).state.loads())[holder] == 1  # counted once, not twice
    clock.advance(61)
    await hub.router.sweep()  # awake, the deadline is live again
    assert (await hub.conversations.get(conv.id)).hops[-1].reason == "no_reply"


async def test_an_api_reopen_takes_the_ingest_reopen_path(hub: Hub, clock: FrozenClock) -> None:
    line = await routed_line(hub, no_reply_timeout_s=60)
    [ann] = await online(hub, "ann")
    conv = await customer_writes(hub, line)
    assert conv.assignee_id == ann
    resolved = await hub.lifecycle().resolve(conv.id)
    assert resolved.status is ConversationStatus.RESOLVED
    assert (await router_of(hub).state.loads())[ann] == 0
    clock.advance(30)
    reopened = await hub.lifecycle().reopen(conv.id)
    assert (reopened.status, reopened.assignee_id) == (ConversationStatus.OPEN, ann)
    assert reopened.reply_due_at == clock.now() + timedelta(seconds=60)
    assert (await router_of(hub).state.loads())[ann] == 1  # the router counts it again


async def test_a_snooze_in_the_past_is_refused(hub: Hub, clock: FrozenClock) -> None:
    line = await routed_line(hub)
    conv = await customer_writes(hub, line)
    with pytest.raises(ValidationFailed) as refused:
        await hub.lifecycle().snooze(conv.id, clock.now() - timedelta(minutes=1))
    assert refused.value.code == "bad_time"
    assert (await hub.conversations.get(conv.id)).status is ConversationStatus.OPEN
