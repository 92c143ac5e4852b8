"""Replies by SMTP to a real aiosmtpd sink: threading headers, parts, errors, injection."""

from __future__ import annotations

import email
import imaplib
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from pydantic import SecretStr

from connectors.email.threads import read_token
from inbox.devfakes.dovecot import Dovecot
from inbox.devfakes.smtp import SmtpSink
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus, Line
from inbox.wiring import Hub
from tests.connectors.email.mailkit import deliver, email_line, mail, stored


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


async def _line(hub: Hub, sink: SmtpSink) -> Line:
    line = await email_line(hub, smtp_port=sink.port, smtp_login=sink.login, from_name="Shop")
    creds = {**line.credentials, "smtp_password": SecretStr(sink.password)}
    return await hub.lines.replace(line.model_copy(update={"credentials": creds}))


def _received(sink: SmtpSink) -> EmailMessage:
    assert len(sink.received) == 1
    parsed = email.message_from_bytes(sink.received[0].data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def test_reply_is_threaded_with_parts_and_quoted_history(hub: Hub, sink: SmtpSink) -> None:
    line = await _line(hub, sink)
    await deliver(
        hub,
        line,
        mail(
            "Ann <ann@example.com>",
            "a2@example.com",
            "Re: Order A-1029",
            "Where is it?\r\n\r\nOn Mon, Shop wrote:\r\n> Soon",
            references=["a1@example.com"],
            in_reply_to="a1@example.com",
        ),
    )
    first = await stored(hub, line, "a2@example.com")
    file_id = await hub.files.put(b"%PDF-1.4 test", name="invoice.pdf", mime_type="application/pdf")
    pdf = Attachment(kind=AttachmentKind.DOCUMENT, name="invoice.pdf", file_id=file_id)
    reply = await hub.replier.reply(first.conversation_id, None, "It left today.", [pdf])
    sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    out = _received(sink)
    assert sink.received[0].rcpt_tos == ["ann@example.com"]
    assert out["Subject"] == "Re: Order A-1029"
    assert out["In-Reply-To"] == "<a2@example.com>"
    assert out["References"] == "<a1@example.com> <a2@example.com>"
    assert str(out["Reply-To"]) == "Shop <support@shop.example>"
    mid = str(out["Message-ID"]).strip("<>")
    assert sent.external_id == mid
    config_key = line.secret("secret")
    assert read_token(mid, config_key) == (reply.id, first.conversation_id)
    text = out.get_body(("plain",))
    html = out.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().startswith("It left today.")
    assert "> Where is it?" in text.get_content()
    assert "<blockquote" in html.get_content()
    names = [p.get_filename() for p in out.iter_attachments()]
    assert names == ["invoice.pdf"]
    # The customer's answer to it comes back into the same conversation.
    await deliver(hub, line, mail("ann@example.com", "a3@example.com", "Re: x", in_reply_to=mid))
    assert (await stored(hub, line, "a3@example.com")).conversation_id == first.conversation_id


async def test_header_injection_through_name_or_subject_is_impossible(
    hub: Hub, sink: SmtpSink
) -> None:
    line = await _line(hub, sink)
    raw = (
        b"From: =?utf-8?B?QW5uDQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?= <ann@example.com>\r\n"
        b"Subject: =?utf-8?Q?hi=0D=0ABcc:_evil@example.com?=\r\n"
        b"Message-ID: <inj@example.com>\r\n\r\nhello\r\n"
    )
    await deliver(hub, line, raw)
    first = await stored(hub, line, "inj@example.com")
    conversation = await hub.conversations.get(first.conversation_id)
    await hub.db["contacts"].update_one(
        {"_id": conversation.contact_id}, {"$set": {"name": "Ann\r\nBcc: evil2@example.com"}}
    )
    reply = await hub.replier.reply(first.conversation_id, None, "ok")
    sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    out = _received(sink)
    assert sink.received[0].rcpt_tos == ["ann@example.com"]
    assert out["Bcc"] is None
    assert b"\nBcc:" not in sink.received[0].data
    assert "evil" not in str(out["To"]).split("<")[-1]


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("451 4.3.0 Try again later", DeliveryStatus.RETRYING),
        ("550 5.7.1 Relaying denied for this sender", DeliveryStatus.FAILED),
    ],
)
async def test_smtp_errors_retry_or_fail_with_the_servers_reason(
    hub: Hub, sink: SmtpSink, answer: str, status: DeliveryStatus
) -> None:
    line = await _line(hub, sink)
    await deliver(hub, line, mail("ann@example.com", "e1@example.com"))
    first = await stored(hub, line, "e1@example.com")
    sink.handler.fail_with = answer
    reply = await hub.replier.reply(first.conversation_id, None, "ok")
    sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.status is status
    assert sent.error is not None
    assert answer.split(" ", 1)[1] in sent.error.reason


async def test_refused_login_fails_without_hanging(hub: Hub, sink: SmtpSink) -> None:
    line = await _line(hub, sink)
    creds = {**line.credentials, "smtp_password": SecretStr("wrong")}
    line = await hub.lines.replace(line.model_copy(update={"credentials": creds}))
    await deliver(hub, line, mail("ann@example.com", "l1@example.com"))
    first = await stored(hub, line, "l1@example.com")
    reply = await hub.replier.reply(first.conversation_id, None, "ok")
    sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.status is DeliveryStatus.FAILED
    assert sent.error is not None
    assert "535" in sent.error.reason
    assert "wrong" not in sent.error.reason


async def test_copy_goes_to_the_sent_folder(
    hub: Hub, sink: SmtpSink, dovecot: Dovecot, mailbox_user: tuple[str, str]
) -> None:
    line = await _line(hub, sink)
    settings = {**line.settings, "imap_port": dovecot.port, "login": mailbox_user[0]}
    settings["sent_folder"] = "Sent"
    creds = {**line.credentials, "password": SecretStr(mailbox_user[1])}
    line = await hub.lines.replace(
        line.model_copy(update={"settings": settings, "credentials": creds})
    )
    await deliver(hub, line, mail("ann@example.com", "s1@example.com"))
    first = await stored(hub, line, "s1@example.com")
    reply = await hub.replier.reply(first.conversation_id, None, "copied")
    sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    assert sent.status is DeliveryStatus.SENT
    client = imaplib.IMAP4(dovecot.host, dovecot.port, timeout=10)
    client.login(*mailbox_user)
    client.select("Sent")
    _, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    client.logout()
    assert sent.external_id is not None
    assert sent.external_id.encode() in b"".join(x[1] for x in data if isinstance(x, tuple))
