"""``inbox demo``'s mailbox: sample mails arrive over IMAP, a reply reaches the customer's
mailbox, and a second start finds its line again."""

from __future__ import annotations

import imaplib

import pytest

from inbox.demo_email import PASSWORD, SAMPLES, demo_mailbox
from inbox.devfakes.dovecot import dovecot_binary
from inbox.domain.models import ChannelKind, DeliveryStatus
from inbox.wiring import Hub
from tests.channels import count
from tests.connectors.email.imapkit import wait_for


@pytest.mark.skipif(dovecot_binary() is None, reason="dovecot-imapd is not installed")
async def test_demo_mailbox_round_trip(hub: Hub) -> None:
    assert hub.mailboxes is not None
    async with demo_mailbox(hub) as box:
        await hub.mailboxes.reconcile()

        async def arrived() -> bool:
            return await count(hub, "messages") >= len(SAMPLES)

        await wait_for(arrived)
        first = await hub.db["messages"].find_one({})
        assert first is not None
        reply = await hub.replier.reply(first["conversation_id"], None, "Дякуємо, надсилаємо!")
        sent = await hub.sender.attempt(reply.id)
        assert sent is not None
        assert sent.status is DeliveryStatus.SENT
        assert box.dovecot is not None
        client = imaplib.IMAP4(box.dovecot.host, box.dovecot.port, timeout=10)
        client.login("customer", PASSWORD)
        _, data = client.select("INBOX")
        client.logout()
        assert data == [b"1"]
        await hub.mailboxes.aclose()
    async with demo_mailbox(hub):
        lines = [x for x in await hub.lines.list() if x.kind is ChannelKind.EMAIL]
        assert len(lines) == 1
    assert await count(hub, "messages") == len(SAMPLES) + 1
