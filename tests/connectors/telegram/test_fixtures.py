"""Every Telegram update kind we support, through the real webhook route: one line each."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.channels import count, fixture, post_telegram, render, telegram_line

# fixture, fixtures posted before it, what the hub keeps afterwards
CASES = [
    ("text", [], "in 700100200:5123 'Добрий день! Where is my order #A-1029?'"),
    ("start_deeplink", [], "in 700100200:5122 '/start ad_spring_sale' source=ad_spring_sale"),
    ("photo_caption", [], "in 700100200:5124 'The parcel arrived damaged' [image AgACAgIAAxkBAAIBQ2-large]"),  # noqa: E501 - one line per fixture
    ("document", [], "in 700100200:5126 'invoice' [document invoice.pdf]"),
    ("video", [], "in 700100200:5127 None [video unboxing.mp4]"),
    ("voice", [], "in 700100200:5128 None [voice AwACAgIAAxkBAAIBS2-voice]"),
    ("audio", [], "in 700100200:5129 None [audio jingle.mp3]"),
    ("sticker", [], "in 700100200:5130 None [sticker CAACAgIAAxkBAAIBT2-stk]"),
    ("video_note", [], "in 700100200:5140 None [video video_note.mp4]"),
    ("animation", [], "in 700100200:5142 None [video thanks.mp4]"),
    ("location", [], "in 700100200:5131 None [location 50.450001,30.523333]"),
    ("venue", [], "in 700100200:5141 None [location 50.4474,30.5224] venue=Shop on Khreshchatyk"),
    ("contact", ["text"], "in 700100200:5132 None [contact Olena Kovalenko] phones=('+380501234567',)"),  # noqa: E501 - one line per fixture
    ("reply", [], "in 700100200:5133 'Yes, that one' reply_to=700100200:5120"),
    ("edited", ["text"], "in 700100200:5123 'Добрий день! Where is my order #A-1030?' versions=1"),
    ("blocked", ["text"], "contact 700100200 reachable=False"),
    ("unblocked", ["text", "blocked"], "contact 700100200 reachable=True"),
    ("group_message", [], "ignored"),
    ("callback_query", [], "ignored"),
    # Hostile but signed: stored safely (no phone from 5,002 digits, U+FFFD, size unknown).
    ("contact_huge_phone", ["text"], "in 700100200:5150 None [contact Mallory] phones=()"),
    ("surrogate_huge_file", [], "in 700100200:5151 'bad \ufffd surrogate' [document huge.bin]"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "before", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_fixture(
    client: TestClient, hub: Hub, name: str, before: list[str], expected: str
) -> None:
    line = await telegram_line(hub)
    for earlier in before:
        assert (await post_telegram(client, line, fixture("telegram", earlier)))[0] == 200
    status, body = await post_telegram(client, line, fixture("telegram", name))
    assert (status, body) == (200, {})
    await hub.drain_background()
    assert await outcome(hub, line.id, expected) == expected


async def outcome(hub: Hub, line_id: str, expected: str) -> str:
    kind, _, rest = expected.partition(" ")
    if kind == "ignored":
        return "ignored" if await count(hub, "messages") == 0 else "stored something"
    if kind == "contact":
        user = rest.split(" ")[0]
        contact = await hub.contacts.find_by_identity(line_id, user)
        assert contact is not None
        identity = next(i for i in contact.identities if i.line_id == line_id)
        return f"contact {user} reachable={identity.reachable}"
    external_id = rest.split(" ")[0]
    message = await hub.messages.get_by_external(line_id, external_id)
    assert message is not None, f"no message {external_id}"
    line = await render(hub, message)
    if "phones=" in expected:
        contact = await hub.contacts.get(message.sender_id or "")
        line += f" phones={contact.phones}"
    return line
