"""The Telegram webhook: secret token, idempotency, background file downloads."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.telegram import FakeTelegram
from inbox.domain.clock import FrozenClock
from inbox.wiring import Hub
from tests.channels import TG_TOKEN, count, fixture, post_telegram, telegram_line


async def test_wrong_or_missing_secret_is_401_and_nothing_stored(
    client: TestClient, hub: Hub
) -> None:
    line = await telegram_line(hub)
    body = fixture("telegram", "text")
    for secret in ("wrong-secret", ""):
        status, answer = await post_telegram(client, line, body, secret=secret)
        assert status == 401
        assert answer["error"]["code"] == "bad_secret_token"
    assert await count(hub, "messages") == 0
    assert await count(hub, "contacts") == 0


async def test_redelivered_update_is_stored_once(client: TestClient, hub: Hub) -> None:
    line = await telegram_line(hub)
    body = fixture("telegram", "text")
    results = await asyncio.gather(*(post_telegram(client, line, body) for _ in range(8)))
    assert {status for status, _ in results} == {200}
    assert await count(hub, "messages") == 1
    assert await count(hub, "conversations") == 1


async def test_file_is_fetched_after_the_answer_and_stored(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line = await telegram_line(hub, fake_telegram.base_url)
    file_id = fake_telegram.add_file(b"%PDF-1.7 invoice", "invoice.pdf")
    update = fake_telegram.private_message(
        700100200,
        document={"file_id": file_id, "file_unique_id": "u1", "file_name": "invoice.pdf",
                  "mime_type": "application/pdf", "file_size": 16},
    )  # fmt: skip
    assert (await post_telegram(client, line, update))[0] == 200
    stored = await hub.messages.get_by_external(
        line.id, f"700100200:{update['message']['message_id']}"
    )
    assert stored is not None
    assert stored.attachments[0].external_id == file_id  # metadata at once
    await hub.drain_background()
    fetched = await hub.messages.get(stored.id)
    our_id = fetched.attachments[0].file_id
    assert our_id is not None
    data, meta = await hub.files.get(our_id)
    assert data == b"%PDF-1.7 invoice"
    assert (meta["name"], meta["mime_type"]) == ("invoice.pdf", "application/pdf")
    assert [m for _, m, _ in fake_telegram.calls] == ["getFile"]


async def test_file_telegram_refuses_keeps_the_message_and_stops_trying(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line = await telegram_line(hub, fake_telegram.base_url)
    update = fake_telegram.private_message(
        700100200, caption="see photo",
        photo=[{"file_id": "gone-file", "file_unique_id": "g", "width": 1, "height": 1}],
    )  # fmt: skip
    assert (await post_telegram(client, line, update))[0] == 200
    await hub.drain_background()
    assert await hub.attachments.sweep() == 0  # a 400 is final: nothing left to retry
    stored = await hub.messages.get_by_external(
        line.id, f"700100200:{update['message']['message_id']}"
    )
    assert stored is not None
    assert stored.text == "see photo"
    assert stored.attachments[0].file_id is None


async def test_file_fetch_retries_after_an_outage(
    client: TestClient, hub: Hub, clock: FrozenClock, fake_telegram: FakeTelegram
) -> None:
    line = await telegram_line(hub, fake_telegram.base_url)
    file_id = fake_telegram.add_file(b"OggS voice", "voice.ogg")
    fake_telegram.fail_next("getFile", status=502)
    update = fake_telegram.private_message(
        700100200, voice={"file_id": file_id, "file_unique_id": "v", "duration": 3}
    )
    assert (await post_telegram(client, line, update))[0] == 200
    await hub.drain_background()
    external = f"700100200:{update['message']['message_id']}"
    waiting = await hub.messages.get_by_external(line.id, external)
    assert waiting is not None
    assert waiting.attachments[0].file_id is None
    clock.advance(120)
    assert await hub.attachments.sweep() == 1
    fetched = await hub.messages.get_by_external(line.id, external)
    assert fetched is not None
    assert fetched.attachments[0].file_id is not None


async def test_an_expired_download_link_gives_up_without_showing_the_token(
    client: TestClient,
    hub: Hub,
    fake_telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = await telegram_line(hub, fake_telegram.base_url)
    file_id = fake_telegram.add_file(b"old", "old.pdf")
    fake_telegram.expire_file(file_id)
    update = fake_telegram.private_message(
        700100200, document={"file_id": file_id, "file_unique_id": "o", "file_name": "old.pdf"}
    )
    assert (await post_telegram(client, line, update))[0] == 200
    await hub.drain_background()
    assert await hub.attachments.sweep() == 0  # a 404 is final
    doc = await hub.db["messages"].find_one({"external_id": {"$regex": "^700100200:"}})
    assert doc is not None
    assert doc["files_error"] == "file download: HTTP 404"
    assert TG_TOKEN not in capsys.readouterr().out
