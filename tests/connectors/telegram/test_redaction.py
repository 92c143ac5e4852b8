"""The bot token never shows in an error: not in its message, its args (what str and repr
print) or the exceptions chained to it (what a traceback prints)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from inbox.devfakes.telegram import FakeTelegram
from inbox.domain.errors import DeliveryError, InboxError
from inbox.domain.models import ChannelKind
from inbox.domain.ports import OutboundTarget
from inbox.services.lines import LineAdmin
from inbox.wiring import Hub
from tests.channels import TG_TOKEN, public_url, registered_telegram

CHAT = 700100300
# aiohttp refuses the port, and its error quotes the whole Bot API URL, token included.
BROKEN_BASE = "http://127.0.0.1:99999"


def everything_shown(e: BaseException) -> str:
    """What a log line or a traceback could print of ``e`` and the errors behind it."""
    out: list[str] = []
    seen: BaseException | None = e
    while seen is not None:
        out += [str(seen), repr(seen), repr(seen.args), getattr(seen, "message", "")]
        cause = seen.__cause__
        if cause is None and not seen.__suppress_context__:
            cause = seen.__context__
        seen = cause
    return "\n".join(out)


async def test_a_send_error_quoting_the_bot_url_is_scrubbed(
    client: TestClient, hub: Hub, fake_telegram: FakeTelegram
) -> None:
    line = await registered_telegram(hub, client, fake_telegram)
    update = fake_telegram.private_message(CHAT, "Hi")
    assert await fake_telegram.push(TG_TOKEN, update) == 200
    inbound = await hub.messages.get_by_external(
        line.id, f"{CHAT}:{update['message']['message_id']}"
    )
    assert inbound is not None
    conversation = await hub.conversations.get(inbound.conversation_id)
    contact = await hub.contacts.get(conversation.contact_id)
    broken = line.model_copy(update={"settings": {**line.settings, "api_base": BROKEN_BASE}})
    reply = await hub.replier.reply(conversation.id, None, "Thanks")
    connector = hub.connectors.get(ChannelKind.TELEGRAM)
    with pytest.raises(DeliveryError) as raised:
        await connector.send(OutboundTarget(broken, conversation, contact, str(CHAT)), reply)
    shown = everything_shown(raised.value)
    assert "InvalidUrlClientError" in shown  # the reason is kept...
    assert TG_TOKEN not in shown  # ...without the token
    assert "<token>" in shown


async def test_a_setup_error_quoting_the_bot_url_is_scrubbed(client: TestClient, hub: Hub) -> None:
    admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
    with pytest.raises(InboxError) as raised:
        await admin.create(
            ChannelKind.TELEGRAM,
            "bot",
            credentials={"token": TG_TOKEN},
            settings={"api_base": BROKEN_BASE},
            public_url=public_url(client),
        )
    shown = everything_shown(raised.value)
    assert "Telegram refused the setup" in shown
    assert TG_TOKEN not in shown
