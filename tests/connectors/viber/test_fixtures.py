"""Every Viber callback kind we support, through the real webhook route: one line each."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.viber import FakeViber
from inbox.domain.models import Line
from inbox.wiring import Hub
from tests.channels import count, fixture, post_viber, render, viber_line

RECEIPT_TOKEN = "5741311803571729999"
WELCOME = "Вітаємо! How can we help?"

# fixture, what is posted before it, what the hub keeps (or answers) afterwards
CASES = [
    ("message_text", [], "in 5741311803571721087 'Good afternoon, I need help with delivery'"),
    ("message_picture", [], "in 5741311803571721088 'photo of the receipt' [image receipt.jpg] file"),  # noqa: E501 - one line per fixture
    ("message_video", [], "in 5741311803571721089 None [video MEDIA/unboxing.mp4] file"),
    ("message_file", [], "in 5741311803571721090 None [document contract.pdf] file"),
    ("message_sticker", [], "in 5741311803571721093 None [sticker 40133] file"),
    ("message_contact", [], "in 5741311803571721092 None [contact Ivan P]"),
    ("message_location", [], "in 5741311803571721091 None [location 50.450001,30.523333]"),
    ("message_url", [], "in 5741311803571721094 None [link https://shop.example/product/42]"),
    ("conversation_started", [], f"answer {WELCOME!r}"),
    ("subscribed", [], "contact 01234567890A= reachable=True"),
    ("unsubscribed", ["message_text"], "contact 01234567890A= reachable=False"),
    ("delivered", ["outbound"], f"out {RECEIPT_TOKEN} delivered"),
    ("seen", ["outbound", "delivered"], f"out {RECEIPT_TOKEN} read"),
    ("failed", ["outbound"], f"out {RECEIPT_TOKEN} failed: failure description"),
    ("webhook", [], "ignored"),
    ("client_status", [], "ignored"),
    ("message_empty_sender", [], "ignored"),  # refused, acknowledged, in rejected_webhooks
]  # fmt: skip


def body_of(name: str, fake: FakeViber) -> bytes:
    return fixture("viber", name).replace(b"MEDIA/", f"{fake.base_url}/media/".encode())


async def outbound(hub: Hub, line: Line, client: TestClient, fake: FakeViber) -> None:  # type: ignore[type-arg]
    """Our reply, accepted by Viber under RECEIPT_TOKEN (what receipts report on)."""
    await post_viber(client, line, body_of("message_text", fake))
    message = await hub.messages.get_by_external(line.id, "5741311803571721087")
    assert message is not None
    reply = await hub.replier.reply(message.conversation_id, None, "Your parcel left today")
    await hub.messages.mark_sent(reply.id, RECEIPT_TOKEN, hub.clock.now())


@pytest.mark.parametrize(("name", "before", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_fixture(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    fake_viber: FakeViber,
    name: str,
    before: list[str],
    expected: str,
) -> None:
    for media in ("receipt.jpg", "unboxing.mp4", "contract.pdf", "40133.png"):
        fake_viber.add_media(f"bytes of {media}".encode(), media)
    line = await viber_line(hub, fake_viber.api_base, welcome_text=WELCOME)
    for earlier in before:
        if earlier == "outbound":
            await outbound(hub, line, client, fake_viber)
        else:
            assert (await post_viber(client, line, body_of(earlier, fake_viber)))[0] == 200
    status, answer = await post_viber(client, line, body_of(name, fake_viber))
    assert status == 200
    await hub.drain_background()
    got = await outcome(hub, line, expected, answer)
    assert got.replace(f"{fake_viber.base_url}/media/", "MEDIA/") == expected


async def outcome(hub: Hub, line: Line, expected: str, answer: Any) -> str:
    kind, _, rest = expected.partition(" ")
    if kind == "ignored":
        return "ignored" if await count(hub, "messages") == 0 and answer == {} else "stored"
    if kind == "answer":
        assert answer["sender"] == {"name": line.name}
        return f"answer {answer['text']!r}"
    if kind == "contact":
        user = rest.split(" ")[0]
        contact = await hub.contacts.find_by_identity(line.id, user)
        assert contact is not None
        identity = next(i for i in contact.identities if i.line_id == line.id)
        return f"contact {user} reachable={identity.reachable}"
    external_id = rest.split(" ")[0]
    message = await hub.messages.get_by_external(line.id, external_id)
    assert message is not None, f"no message {external_id}"
    if kind == "out":
        error = f": {message.error.reason}" if message.error else ""
        return f"out {external_id} {message.status.value}{error}"
    out = await render(hub, message)
    if any(a.file_id for a in message.attachments):
        out += " file"
    return out
