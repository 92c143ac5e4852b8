"""Messages: dedupe, edits, the outbound queue and forward-only statuses."""

from __future__ import annotations

from datetime import timedelta

from inbox.domain.clock import FrozenClock
from inbox.domain.models import ChannelKind, DeliveryStatus, Direction, Message
from inbox.wiring import Hub


def msg(clock: FrozenClock, **kw: object) -> Message:
    base: dict[str, object] = {
        "conversation_id": "c-1",
        "line_id": "l-1",
        "channel": ChannelKind.API,
        "direction": Direction.IN,
        "status": DeliveryStatus.RECEIVED,
        "created_at": clock.now(),
        "text": "hello",
    }
    base.update(kw)
    return Message(**base)  # type: ignore[arg-type]


async def test_duplicate_external_id_returns_the_stored_message(
    hub: Hub, clock: FrozenClock
) -> None:
    first, inserted = await hub.messages.insert(msg(clock, external_id="x-1"))
    again, inserted_again = await hub.messages.insert(msg(clock, external_id="x-1", text="other"))
    assert inserted
    assert not inserted_again
    assert again == first
    # same external id on another line is another message
    _, other_line = await hub.messages.insert(msg(clock, external_id="x-1", line_id="l-2"))
    assert other_line


async def test_edit_keeps_previous_versions_and_ignores_stale_edits(
    hub: Hub, clock: FrozenClock
) -> None:
    await hub.messages.insert(msg(clock, external_id="e-1", text="v1"))
    t1 = clock.advance(10)
    edited = await hub.messages.apply_edit("l-1", "e-1", "v2", t1)
    assert edited is not None
    assert edited.text == "v2"
    assert [v.text for v in edited.versions] == ["v1"]
    assert await hub.messages.apply_edit("l-1", "e-1", "v2", t1) is None  # replay
    assert await hub.messages.apply_edit("l-1", "e-1", "old", t1 - timedelta(seconds=5)) is None
    t2 = clock.advance(10)
    final = await hub.messages.apply_edit("l-1", "e-1", "v3", t2)
    assert final is not None
    assert [v.text for v in final.versions] == ["v1", "v2"]
    assert await hub.messages.apply_edit("l-1", "missing", "x", t2) is None


async def test_outbound_claim_is_exclusive_and_lease_expires(hub: Hub, clock: FrozenClock) -> None:
    out = msg(clock, direction=Direction.OUT, status=DeliveryStatus.PENDING)
    await hub.messages.insert(out)
    assert [m.id for m in await hub.messages.due_outbound(clock.now())] == [out.id]
    claimed = await hub.messages.claim_for_send(out.id, clock.now(), lease_s=30)
    assert claimed is not None
    assert claimed.attempts == 1
    assert await hub.messages.claim_for_send(out.id, clock.now(), lease_s=30) is None
    clock.advance(31)  # the sender died holding the lease
    assert await hub.messages.claim_for_send(out.id, clock.now(), lease_s=30) is not None
    sent = await hub.messages.mark_sent(out.id, "ext-9", clock.now())
    assert sent.status is DeliveryStatus.SENT
    assert await hub.messages.due_outbound(clock.now()) == []
    assert await hub.messages.claim_for_send(out.id, clock.now(), lease_s=30) is None


async def test_retry_waits_until_its_time(hub: Hub, clock: FrozenClock) -> None:
    out = msg(clock, direction=Direction.OUT, status=DeliveryStatus.PENDING)
    await hub.messages.insert(out)
    await hub.messages.claim_for_send(out.id, clock.now(), lease_s=30)
    retry = await hub.messages.mark_retry(
        out.id, "busy", clock.now() + timedelta(seconds=20), clock.now()
    )
    assert retry.status is DeliveryStatus.RETRYING
    assert retry.error is not None
    assert retry.error.reason == "busy"
    assert await hub.messages.due_outbound(clock.now()) == []
    clock.advance(20)
    assert [m.id for m in await hub.messages.due_outbound(clock.now())] == [out.id]


async def test_status_only_moves_forward(hub: Hub, clock: FrozenClock) -> None:
    out = msg(clock, direction=Direction.OUT, status=DeliveryStatus.PENDING)
    await hub.messages.insert(out)
    await hub.messages.mark_sent(out.id, "tok-1", clock.now())
    read = await hub.messages.update_status_by_external(
        "l-1", "tok-1", DeliveryStatus.READ, clock.now()
    )
    assert read is not None
    assert read.status is DeliveryStatus.READ
    late = await hub.messages.update_status_by_external(
        "l-1", "tok-1", DeliveryStatus.DELIVERED, clock.now()
    )
    assert late is None
    assert (await hub.messages.get(out.id)).status is DeliveryStatus.READ
    assert (
        await hub.messages.update_status_by_external(
            "l-1", "unknown", DeliveryStatus.READ, clock.now()
        )
        is None
    )


async def test_history_pages_backwards(hub: Hub, clock: FrozenClock) -> None:
    ids = []
    for i in range(5):
        m, _ = await hub.messages.insert(msg(clock, external_id=f"h-{i}"))
        ids.append(m.id)
    page1 = await hub.messages.list_for_conversation("c-1", limit=2)
    page2 = await hub.messages.list_for_conversation("c-1", before=page1[-1].id, limit=2)
    assert [m.id for m in page1] == ids[::-1][:2]
    assert [m.id for m in page2] == ids[::-1][2:4]
