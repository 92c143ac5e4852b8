"""Email: mails parsed and stored per second, beside a bare floor measured in the same run.

The floor is one ``insert_one`` of each raw mail's bytes into the same database. The hub
cases: parsing alone (``parse_mail`` + ``to_event``: MIME, charset, HTML to text and
sanitizing, quote cut, guards); the whole intake as the IMAP poller runs it, one mail after
another (parse, dedupe check, contact, threading, insert, conversation update, hooks);
and, when Dovecot is installed, end to end: mails appended to a real mailbox, imported by
the poller (UID FETCH, intake, durable UID after each mail).
"""

from __future__ import annotations

import asyncio
import imaplib
import time

from bench.common import Context, Row
from connectors.email.config import EmailLineConfig
from connectors.email.imap import MailboxPoller, PollerOptions
from connectors.email.parse import MailContext, parse_mail, to_event
from inbox.devfakes.dovecot import Dovecot, dovecot_binary
from inbox.domain.models import ChannelKind
from inbox.services.lines import LineAdmin
from inbox.store.mail import MongoMailboxStates
from inbox.store.mongo import make_client
from inbox.wiring import Hub, mail_intake, open_hub

SECTION = "Email: mail parsed and stored (IMAP intake)"
ADDRESS = "support@shop.example"


def sample(i: int) -> bytes:
    html = (
        f"<div>Дякую! Замовлення {i} отримала.</div><div class='gmail_quote'>"
        "<blockquote>Ваше замовлення відправлено.</blockquote></div>"
    )
    return (
        f"From: Customer {i % 100} <c{i % 100}@example.net>\r\nTo: {ADDRESS}\r\n"
        f"Subject: Re: Замовлення {i % 100}\r\nDate: Fri, 04 Dec 2026 10:00:00 +0200\r\n"
        f"Message-ID: <bench-{i}@example.net>\r\nMIME-Version: 1.0\r\n"
        + (f"In-Reply-To: <bench-{i - 100}@example.net>\r\n" if i >= 100 else "")
        + 'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Дякую! Замовлення {i} отримала.\r\n\r\n"
        "пт, 4 груд. 2026 р. о 10:00 Shop <support@shop.example> пише:\r\n"
        "> Ваше замовлення відправлено.\r\n"
        f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
    ).encode()


def _row(case: str, count: int, elapsed: float, note: str = "") -> Row:
    return Row(SECTION, case, count, round(count / elapsed, 1) if elapsed else None, note=note)


async def run(ctx: Context) -> list[Row]:
    count = 60 if ctx.quick else 400
    mails = [sample(i) for i in range(count)]
    rows: list[Row] = []
    settings = ctx.settings()
    assert settings.mongo_url is not None
    client = make_client(settings.mongo_url.get_secret_value())
    floor = client[settings.mongo_db]["floor"]
    started = time.perf_counter()
    for raw in mails:
        await floor.insert_one({"raw": raw})
    rows.append(_row("floor: insert_one of the raw mail, one after another", count,
                     time.perf_counter() - started))  # fmt: skip
    await client.drop_database(settings.mongo_db)
    await client.close()

    ctx_mail = MailContext(address=ADDRESS, token_key="bench")  # noqa: S106 - not a secret
    started = time.perf_counter()
    for raw in mails:
        to_event(parse_mail(raw), ctx_mail)
    rows.append(_row("hub: parse only (MIME, charset, HTML, sanitize, quotes, guards)", count,
                     time.perf_counter() - started))  # fmt: skip

    async with open_hub(ctx.settings()) as hub:
        admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
        base = {"imap_host": "127.0.0.1", "imap_tls": "none", "smtp_host": "127.0.0.1"}
        line = await admin.create(
            ChannelKind.EMAIL,
            "bench",
            credentials={"password": "bench"},
            settings={**base, "smtp_tls": "none", "login": "support", "address": ADDRESS},
        )
        intake = mail_intake(hub)
        config = EmailLineConfig.from_line(line)
        started = time.perf_counter()
        for raw in mails:
            await intake.take(line, config, raw)
        rows.append(_row("hub: intake (parse + dedupe + contact + thread + insert + hooks)",
                         count, time.perf_counter() - started,
                         note="one mailbox imports sequentially"))  # fmt: skip
        assert await hub.db["messages"].count_documents({}) == count
        if dovecot_binary() is not None:
            rows.append(await _imap_row(hub, mails, admin))
        await hub.db.client.drop_database(hub.settings.mongo_db)
    return rows


async def _imap_row(hub: Hub, mails: list[bytes], admin: LineAdmin) -> Row:
    with Dovecot() as server:
        server.add_user("bench", "bench-pass")
        imap = imaplib.IMAP4(server.host, server.port)
        imap.login("bench", "bench-pass")
        for raw in mails:
            imap.append("INBOX", None, None, raw.replace(b"bench-", b"imap-"))
        imap.logout()
        line = await admin.create(
            ChannelKind.EMAIL,
            "bench imap",
            credentials={"password": "bench-pass"},
            settings={"imap_host": "127.0.0.1", "imap_port": server.port, "imap_tls": "none",
                      "smtp_host": "127.0.0.1", "smtp_tls": "none", "login": "bench",
                      "address": "bench@shop.example", "backlog": len(mails)},
        )  # fmt: skip
        poller = MailboxPoller(
            line,
            intake=mail_intake(hub),
            states=MongoMailboxStates(hub.db),
            clock=hub.clock,
            owner="bench",
            options=PollerOptions(noop_s=0.5, backlog=len(mails)),
        )
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(poller.run(stop))
        while poller.imported < len(mails):  # noqa: ASYNC110 - a counter, not an event
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        stop.set()
        await task
    return _row("hub: IMAP end to end (Dovecot, UID FETCH, intake, durable UID)", len(mails),
                elapsed, note="includes connect and login")  # fmt: skip
