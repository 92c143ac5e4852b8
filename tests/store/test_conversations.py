"""Threading and reopen rules of conversations, against the real server with a moved clock."""

from __future__ import annotations

import asyncio

import pytest

from inbox.domain.clock import FrozenClock
from inbox.domain.errors import Conflict, NotFound
from inbox.domain.inbound import InboundMessage
from inbox.domain.models import ConversationStatus, Hop
from inbox.wiring import Hub
from tests.helpers import make_line


def inbound(user: str = "u-1", ext: str = "m-1") -> InboundMessage:
    return InboundMessage(external_id=ext, external_user_id=user, user_name="Ann", text="hi")


async def test_same_customer_same_line_threads_into_one_open_conversation(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    first = await hub.conversations.thread(line, contact, clock.now())
    clock.advance(60)
    again = await hub.conversations.thread(line, contact, clock.now())
    assert first.created
    assert not again.created
    assert again.conversation.id == first.conversation.id


async def test_other_line_gets_its_own_conversation(hub: Hub, clock: FrozenClock) -> None:
    line_a = await make_line(hub, name="a")
    line_b = await make_line(hub, name="b")
    contact = await hub.contacts.upsert_identity(line_a, inbound(), clock.now())
    a = await hub.conversations.thread(line_a, contact, clock.now())
    b = await hub.conversations.thread(line_b, contact, clock.now())
    assert a.conversation.id != b.conversation.id


async def test_resolved_conversation_reopens_within_window(hub: Hub, clock: FrozenClock) -> None:
    line = await make_line(hub, reopen_window_s=3600)
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    first = await hub.conversations.thread(line, contact, clock.now())
    await hub.conversations.set_status(
        first.conversation.id, ConversationStatus.RESOLVED, clock.now()
    )
    clock.advance(3599)
    again = await hub.conversations.thread(line, contact, clock.now())
    assert again.reopened
    assert again.conversation.id == first.conversation.id
    assert again.conversation.status is ConversationStatus.OPEN
    assert again.conversation.reopen_count == 1
    assert again.conversation.resolved_at is None


async def test_after_the_window_a_new_conversation_opens(hub: Hub, clock: FrozenClock) -> None:
    line = await make_line(hub)  # default window: 24 h
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    first = await hub.conversations.thread(line, contact, clock.now())
    await hub.conversations.set_status(
        first.conversation.id, ConversationStatus.RESOLVED, clock.now()
    )
    clock.advance(hours=24, seconds=1)
    later = await hub.conversations.thread(line, contact, clock.now())
    assert later.created
    assert later.conversation.id != first.conversation.id
    old = await hub.conversations.get(first.conversation.id)
    assert old.status is ConversationStatus.RESOLVED


async def test_concurrent_threading_creates_one_conversation(hub: Hub, clock: FrozenClock) -> None:
    line = await make_line(hub)
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    results = await asyncio.gather(
        *(hub.conversations.thread(line, contact, clock.now()) for _ in range(20))
    )
    assert len({r.conversation.id for r in results}) == 1
    assert sum(r.created for r in results) == 1


async def test_concurrent_reopen_reopens_once(hub: Hub, clock: FrozenClock) -> None:
    line = await make_line(hub)
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    first = await hub.conversations.thread(line, contact, clock.now())
    await hub.conversations.set_status(
        first.conversation.id, ConversationStatus.RESOLVED, clock.now()
    )
    clock.advance(10)
    results = await asyncio.gather(
        *(hub.conversations.thread(line, contact, clock.now()) for _ in range(10))
    )
    assert {r.conversation.id for r in results} == {first.conversation.id}
    assert (await hub.conversations.get(first.conversation.id)).reopen_count == 1


async def test_reopening_by_hand_conflicts_with_a_newer_open_one(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub, reopen_window_s=0)
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    first = await hub.conversations.thread(line, contact, clock.now())
    await hub.conversations.set_status(
        first.conversation.id, ConversationStatus.RESOLVED, clock.now()
    )
    clock.advance(5)
    await hub.conversations.thread(line, contact, clock.now())
    with pytest.raises(Conflict):
        await hub.conversations.set_status(
            first.conversation.id, ConversationStatus.OPEN, clock.now()
        )


async def test_set_assignee_is_conditional(hub: Hub, clock: FrozenClock) -> None:
    line = await make_line(hub)
    contact = await hub.contacts.upsert_identity(line, inbound(), clock.now())
    conv = (await hub.conversations.thread(line, contact, clock.now())).conversation
    hop = Hop(at=clock.now(), to_operator="op-1", reason="routed")
    won = await hub.conversations.set_assignee(
        conv.id, expected=None, assignee="op-1", team_id=None, hop=hop
    )
    lost = await hub.conversations.set_assignee(
        conv.id, expected=None, assignee="op-2", team_id=None, hop=hop
    )
    assert won is not None
    assert won.assignee_id == "op-1"
    assert won.hops == (hop,)
    assert lost is None


async def test_missing_conversation_is_not_found(hub: Hub) -> None:
    with pytest.raises(NotFound):
        await hub.conversations.get("nope")
