"""Helpers of the email tests: an email line, mails built from a few facts, delivery."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.email.config import EmailLineConfig
from connectors.email.intake import MailIntake
from inbox.domain.inbound import InboundEvent
from inbox.domain.models import ChannelKind, Line, Message
from inbox.wiring import Hub
from tests.helpers import make_line

ADDRESS = "support@shop.example"


async def email_line(hub: Hub, **settings: Any) -> Line:
    base = {
        "imap_host": "127.0.0.1",
        "imap_port": 1,
        "imap_tls": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": 1,
        "smtp_tls": "none",
        "login": "support",
        "address": ADDRESS,
    }
    return await make_line(
        hub,
        ChannelKind.EMAIL,
        settings={**base, **settings},
        credentials={"password": "imap-password"},
    )


def mail(
    sender: str,
    mid: str | None,
    subject: str = "Order A-1029",
    body: str = "Hello",
    *,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    to: str = ADDRESS,
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    lines.append("Date: Fri, 04 Dec 2026 10:00:00 +0000")
    if mid:
        lines.append(f"Message-ID: <{mid}>")
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + " ".join(f"<{r}>" for r in references))
    lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
    lines += ["Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def intake(hub: Hub) -> MailIntake:
    async def sink(line: Line, events: Sequence[InboundEvent]) -> None:
        await hub.ingest.follow_up(await hub.ingest.persist(line, events))

    return MailIntake(files=hub.files, messages=hub.messages, sink=sink)


async def deliver(hub: Hub, line: Line, raw: bytes) -> InboundEvent:
    return await intake(hub).take(line, EmailLineConfig.from_line(line), raw)


async def stored(hub: Hub, line: Line, mid: str) -> Message:
    message = await hub.messages.get_by_external(line.id, mid)
    assert message is not None, f"no message {mid}"
    return message
