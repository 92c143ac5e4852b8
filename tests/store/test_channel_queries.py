"""The message queries the channels need, against the real server: the count of replies a
silent customer got, and the queue of attachments waiting for their bytes."""

from __future__ import annotations

from datetime import timedelta

from inbox.domain.clock import FrozenClock
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus, Direction, Message
from inbox.wiring import Hub


def message(clock: FrozenClock, direction: Direction, **kw: object) -> Message:
    status = DeliveryStatus.RECEIVED if direction is Direction.IN else DeliveryStatus.PENDING
    return Message(
        conversation_id="c1", line_id="l1", channel="viber", direction=direction,
        status=status, created_at=clock.now(), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_count_sent_since_counts_accepted_replies_from_that_moment(
    hub: Hub, clock: FrozenClock
) -> None:
    start = clock.now()
    ids = []
    for i in range(4):
        reply = message(clock, Direction.OUT, text=f"r{i}")
        await hub.messages.insert(reply)
        ids.append(reply.id)
    await hub.messages.mark_sent(ids[0], "t0", start - timedelta(seconds=1))  # before
    await hub.messages.mark_sent(ids[1], "t1", start)  # the same millisecond counts
    await hub.messages.mark_sent(ids[2], "t2", start + timedelta(seconds=5))
    await hub.messages.mark_failed(ids[3], "nope", None, start)  # never reached the customer
    assert await hub.messages.count_sent_since("c1", start) == 2
    await hub.messages.update_status_by_external("l1", "t2", DeliveryStatus.READ, start)
    assert await hub.messages.count_sent_since("c1", start) == 2  # read still counts
    assert await hub.messages.count_sent_since("other", start) == 0


async def test_files_queue_holds_a_message_until_done_and_backs_off_on_failure(
    hub: Hub, clock: FrozenClock
) -> None:
    waiting = message(
        clock, Direction.IN, external_id="m1",
        attachments=(
            Attachment(kind=AttachmentKind.IMAGE, external_id="file-1"),
            Attachment(kind=AttachmentKind.LOCATION, latitude=1.0, longitude=2.0),
        ),
    )  # fmt: skip
    nothing = message(
        clock, Direction.IN, external_id="m2",
        attachments=(Attachment(kind=AttachmentKind.CONTACT, phone="+380501234567"),),
    )  # fmt: skip
    await hub.messages.insert(waiting)
    await hub.messages.insert(nothing)
    assert [m.id for m in await hub.messages.files_due(clock.now())] == [waiting.id]
    failures = await hub.messages.files_retry(
        waiting.id, "502", clock.now() + timedelta(seconds=60)
    )
    assert failures == 1
    assert await hub.messages.files_due(clock.now()) == []
    clock.advance(60)
    assert [m.id for m in await hub.messages.files_due(clock.now())] == [waiting.id]
    await hub.messages.set_attachment_file(waiting.id, 0, "our-file")
    await hub.messages.files_done(waiting.id)
    assert await hub.messages.files_due(clock.now()) == []
    stored = await hub.messages.get(waiting.id)
    assert stored.attachments[0].file_id == "our-file"
    assert stored.attachments[1].latitude == 1.0
