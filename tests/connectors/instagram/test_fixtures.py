"""Every Instagram event we support, through the real webhook route: one line each."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.instagram import FakeInstagram
from inbox.domain.models import Line, Message
from inbox.store.message_marks import MongoMessageMarks
from inbox.wiring import Hub
from tests.channels import count, fixture, render
from tests.connectors.instagram.helpers import CUSTOMER, instagram_line, post_instagram

OURS = "mid.ours.1"  # the id the Send API gave our reply (what receipts and echoes name)

# fixture, what is posted before it, what the hub keeps afterwards (by message id)
CASES = [
    ("text", [], "mid.text.1", "in mid.text.1 'Hi! Is the blue sofa still available?'"),
    ("image", [], "mid.image.1", "in mid.image.1 None [image MEDIA/photo.jpg] file"),
    ("video", [], "mid.video.1", "in mid.video.1 None [video MEDIA/clip.mp4] file"),
    ("audio", [], "mid.audio.1", "in mid.audio.1 None [audio MEDIA/voice.mp4] file"),
    ("file", [], "mid.file.1", "in mid.file.1 None [document MEDIA/invoice.pdf] file"),
    ("share", [], "mid.share.1", "in mid.share.1 None [link https://www.instagram.com/p/C0ffee/]"),
    ("story_reply", [], "mid.story.1", "in mid.story.1 'Love this colour!' [link 18011111111111111]"),  # noqa: E501 - one line per fixture
    ("story_mention", [], "mid.mention.1", "in mid.mention.1 None [image MEDIA/story.jpg] file story='Mentioned you in their story'"),  # noqa: E501 - one line per fixture
    ("reply_to", ["text"], "mid.reply.1", "in mid.reply.1 'This one, please' reply_to=mid.text.1"),
    ("quick_reply", [], "mid.quick.1", "in mid.quick.1 'Delivery' payload=DELIVERY"),
    ("postback", [], "mid.postback.1", "in mid.postback.1 'Talk to a person' payload=HUMAN"),
    ("reaction", ["outbound"], OURS, "out mid.ours.1 'Your parcel left today' sent reactions=❤️"),
    ("unreact", ["outbound", "reaction"], OURS, "out mid.ours.1 'Your parcel left today' sent"),
    ("unsend", ["text"], "mid.text.1", "in mid.text.1 'Hi! Is the blue sofa still available?' deleted"),  # noqa: E501 - one line per fixture
    ("read", ["outbound"], OURS, "out mid.ours.1 'Your parcel left today' read"),
    ("read_by_business", ["outbound"], OURS, "out mid.ours.1 'Your parcel left today' sent"),
    ("referral_message", [], "mid.ref.1", "in mid.ref.1 'Hello from the ad' source=spring_sale"),
    ("referral", ["referral"], "mid.text.1", "in mid.text.1 'Hi! Is the blue sofa still available?' source=catalog_2026"),  # noqa: E501 - one line per fixture
    ("unsupported", [], "mid.unsupported.1", "in mid.unsupported.1 None [link A message Instagram does not show to apps: open the Instagram app to see it]"),  # noqa: E501 - one line per fixture
    ("unknown_attachment", [], "mid.unknown.1", "in mid.unknown.1 None [link A message Instagram does not show to apps: open the Instagram app to see it (ig_avatar_sticker)]"),  # noqa: E501 - one line per fixture
    ("echo_app", ["text"], "mid.echo.app.1", "out mid.echo.app.1 'Yes, it is in stock (sent from the phone)' sent outside"),  # noqa: E501 - one line per fixture
    ("echo_of_hub", ["outbound"], OURS, "out mid.ours.1 'Your parcel left today' sent messages=2"),
    ("comment", [], "comment:17900000000000001", "in comment:17900000000000001 'How much is this?' [link 18000000000000001] source=comment on post 18000000000000001"),  # noqa: E501 - one line per fixture
    ("standby", [], "mid.standby.1", "in mid.standby.1 'Written while another app owns the thread'"),  # noqa: E501 - one line per fixture
    ("batch", [], "mid.batch.2", "in mid.batch.2 'second' messages=2"),
    ("seconds_and_iso", [], "mid.iso.1", "in mid.iso.1 'ISO time' sent_at=2026-01-01T00:00:00+00:00 messages=2"),  # noqa: E501 - one line per fixture
    ("dashboard_test", [], None, "ignored"),
]  # fmt: skip


def body_of(name: str, fake: FakeInstagram) -> bytes:
    return fixture("instagram", name).replace(b"MEDIA/", f"{fake.base_url}/media/".encode())


async def outbound(hub: Hub, line: Line, client: TestClient) -> Message:  # type: ignore[type-arg]
    """Our reply to the customer's text, accepted by Instagram under ``OURS``."""
    await post_instagram(client, line, fixture("instagram", "text"))
    inbound = await hub.messages.get_by_external(line.id, "mid.text.1")
    assert inbound is not None
    reply = await hub.replier.reply(inbound.conversation_id, "op-1", "Your parcel left today")
    return await hub.messages.mark_sent(reply.id, OURS, hub.clock.now())


async def describe(hub: Hub, line: Line, message: Message) -> str:
    out = await render(hub, message)
    if message.direction.value == "out":
        out += f" {message.status.value}"
    if message.sent_outside:
        out += " outside"
    if any(a.file_id for a in message.attachments):
        out += " file"
    if message.deleted_at:
        out += " deleted"
    if message.reactions:
        out += " reactions=" + ",".join(r.emoji for r in message.reactions)
    if message.payload:
        out += f" payload={message.payload}"
    titles = [a.title for a in message.attachments if a.kind.value == "image" and a.title]
    if titles:
        out += f" story={titles[0]!r}"
    return out


@pytest.mark.parametrize(
    ("name", "before", "external_id", "expected"), CASES, ids=[c[0] for c in CASES]
)
async def test_fixture(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    fake_instagram: FakeInstagram,
    name: str,
    before: list[str],
    external_id: str | None,
    expected: str,
) -> None:
    for media in ("photo.jpg", "clip.mp4", "voice.mp4", "invoice.pdf", "story.jpg"):
        fake_instagram.add_media(f"bytes of {media}".encode(), media)
    line = await instagram_line(hub, fake_instagram.api_base)
    for earlier in before:
        if earlier == "outbound":
            await outbound(hub, line, client)
        elif earlier == "referral":
            assert (await post_instagram(client, line, fixture("instagram", "referral")))[0] == 200
            name = "text"  # the ref names the conversation the next message starts
        else:
            assert (await post_instagram(client, line, body_of(earlier, fake_instagram)))[0] == 200
    assert await post_instagram(client, line, body_of(name, fake_instagram)) == (200, {})
    await hub.drain_background()
    if external_id is None:
        assert await count(hub, "messages") == 0
        assert await count(hub, "contacts") == 0
        return
    message = await MongoMessageMarks(hub.db).find_external(line.id, external_id)
    assert message is not None, f"no message {external_id}"
    got = await describe(hub, line, message)
    if "messages=" in expected:
        got += f" messages={await count(hub, 'messages')}"
    if "sent_at=" in expected and message.sent_at:
        got = got.replace(" messages=", f" sent_at={message.sent_at.isoformat()} messages=")
    assert got.replace(f"{fake_instagram.base_url}/media/", "MEDIA/") == expected
    contact = await hub.contacts.find_by_identity(line.id, CUSTOMER)
    assert contact is not None
    if name == "unsend":  # the list does not show what the customer took back
        conversation = await hub.conversations.get(message.conversation_id)
        assert conversation.last_message_preview == "[unsent]"
