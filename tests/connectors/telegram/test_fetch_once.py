"""An attachment is fetched once however many duplicate deliveries and sweeps race for it;
messages without a file (a location, a contact) never trigger a fetch."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from inbox.devfakes.telegram import FakeTelegram
from inbox.wiring import Hub
from tests.channels import count, fixture, post_telegram, telegram_line


async def test_duplicates_and_a_sweep_fetch_the_file_once(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line = await telegram_line(hub, fake_telegram.base_url)
    file_id = fake_telegram.add_file(b"%PDF-1.7 once", "once.pdf")
    update = fake_telegram.private_message(
        700100300,
        document={"file_id": file_id, "file_unique_id": "u9", "file_name": "once.pdf",
                  "mime_type": "application/pdf", "file_size": 13},
    )  # fmt: skip
    results = await asyncio.gather(
        *(post_telegram(client, line, update) for _ in range(3)), hub.attachments.sweep()
    )
    assert [r[0] for r in results[:3]] == [200, 200, 200]
    await asyncio.gather(hub.attachments.sweep(), hub.attachments.sweep())
    await hub.drain_background()
    await hub.attachments.sweep()
    assert [m for _, m, _ in fake_telegram.calls].count("getFile") == 1
    assert await count(hub, "files.files") == 1
    stored = await hub.messages.get_by_external(
        line.id, f"700100300:{update['message']['message_id']}"
    )
    assert stored is not None
    our_id = stored.attachments[0].file_id
    assert our_id is not None
    assert (await hub.files.get(our_id))[0] == b"%PDF-1.7 once"


async def test_a_location_or_a_contact_is_never_fetched(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line = await telegram_line(hub, fake_telegram.base_url)
    for name in ("location", "contact", "venue"):
        assert (await post_telegram(client, line, fixture("telegram", name)))[0] == 200
    await hub.drain_background()
    assert fake_telegram.calls == []
    assert await hub.attachments.sweep() == 0
    messages = await hub.messages.list_for_conversation(
        (await hub.conversations.list(line_id=line.id))[0].id, before=None, limit=10
    )
    assert len(messages) == 3
    fetched = [await hub.attachments.fetch(m) for m in messages]
    assert fake_telegram.calls == []
    assert all(m.attachments for m in fetched)
