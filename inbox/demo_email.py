"""Email in ``inbox demo``: a local mailbox the demo user can write to and read from.

With Debian's Dovecot installed (``apt-get install dovecot-imapd``; ``.ci/run`` installs
it), the demo starts a throwaway Dovecot with two mailboxes, ``support`` (the demo
line's) and ``customer`` (yours), and an SMTP sink (aiosmtpd) that files every mail it
gets into the recipient's mailbox. The hub's worker reads ``support`` over IMAP like any
real mailbox, and sends replies through the sink, so they land in ``customer``.

Without Dovecot, the stand-in is the SMTP sink alone, handing each mail straight to the
hub's mail intake (the same parsing, threading and guards; no IMAP). The README says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage

import structlog
from aiohttp import web

from connectors.email.config import EmailLineConfig
from inbox.devfakes.dovecot import Dovecot, dovecot_binary
from inbox.devfakes.smtp import Received, SmtpSink
from inbox.domain.models import ChannelKind, Line
from inbox.services.lines import LineAdmin
from inbox.wiring import Hub, hub_of, mail_intake

log = structlog.get_logger(__name__)

LINE_NAME = "Demo mailbox"
SUPPORT = "support@demo.localhost"
CUSTOMER = "customer@demo.localhost"
PASSWORD = "demo-mail"  # noqa: S105 - a local demo mailbox, printed on purpose
SAMPLES = [
    ("Taras Shevchuk", "Рахунок для ТОВ «Ромашка»", "Добрий день! Надішліть, будь ласка, рахунок."),
    ("Anna Schmidt", "Delivery to Berlin", "Hello, do you deliver to Berlin, and how long?"),
]


async def _email_line(hub: Hub, imap_port: int, smtp_port: int, imap: bool) -> tuple[Line, bool]:
    settings = {
        "imap_host": "127.0.0.1",
        "imap_port": imap_port,
        "imap_tls": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_tls": "none",
        "login": "support",
        "address": SUPPORT,
        "from_name": "Demo shop",
        "backlog": 50,
    }
    found = [
        x for x in await hub.lines.list() if x.kind is ChannelKind.EMAIL and x.name == LINE_NAME
    ]
    if found:
        line = found[0].model_copy(update={"settings": {**found[0].settings, **settings}})
        line = line.model_copy(update={"enabled": imap})
        return await hub.lines.replace(line), False
    admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
    line = await admin.create(
        ChannelKind.EMAIL,
        LINE_NAME,
        credentials={"password": PASSWORD, "smtp_password": PASSWORD},
        settings=settings,
    )
    if not imap:  # the stand-in feeds the intake directly; no poller for this line
        line = await hub.lines.replace(line.model_copy(update={"enabled": False}))
    return line, True


def _sample(name: str, subject: str, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"{name} <{CUSTOMER}>"
    mail["To"] = SUPPORT
    mail["Subject"] = subject
    mail.set_content(text)
    return mail


def _send_samples(sink: SmtpSink) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.login(sink.login, sink.password)
        for sample in SAMPLES:
            client.send_message(_sample(*sample))


@dataclass
class DemoMailbox:
    line: Line
    sink: SmtpSink
    dovecot: Dovecot | None


@contextlib.asynccontextmanager
async def demo_mailbox(hub: Hub) -> AsyncIterator[DemoMailbox]:
    """Start the demo mailbox (see the module docstring) for as long as the block runs."""
    loop = asyncio.get_running_loop()
    dovecot: Dovecot | None = None
    if dovecot_binary() is not None:
        dovecot = Dovecot()
        await asyncio.to_thread(dovecot.start)
        for user in ("support", "customer"):
            await asyncio.to_thread(dovecot.add_user, user, PASSWORD)
    sink = SmtpSink("support", PASSWORD)
    line, created = await _email_line(
        hub, dovecot.port if dovecot else 9, sink.port, dovecot is not None
    )
    intake = mail_intake(hub, hub.mailboxes)
    config = EmailLineConfig.from_line(line)

    def deliver(mail: Received) -> None:  # runs in the sink's own thread
        if dovecot is not None:
            for rcpt in mail.rcpt_tos:
                user = "support" if rcpt.lower() == SUPPORT else "customer"
                client = imaplib.IMAP4(dovecot.host, dovecot.port, timeout=10)
                client.login(user, PASSWORD)
                client.append("INBOX", None, None, mail.data)
                client.logout()
        elif SUPPORT in [r.lower() for r in mail.rcpt_tos]:
            taken = intake.take(line, config, mail.data)
            asyncio.run_coroutine_threadsafe(taken, loop).result(timeout=30)

    sink.handler.deliver = deliver
    await asyncio.to_thread(sink.start)
    try:
        if created:
            await asyncio.to_thread(_send_samples, sink)
        yield DemoMailbox(line, sink, dovecot)
    finally:
        await asyncio.to_thread(sink.stop)
        if dovecot is not None:
            await asyncio.to_thread(dovecot.close)


def email_demo(app: web.Application) -> None:
    """Add the demo mailbox to the demo app's lifetime."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        hub: Hub = hub_of(app)
        async with demo_mailbox(hub) as box:
            if hub.mailboxes is not None:  # the demo runs the worker in this process
                await hub.mailboxes.reconcile()  # read the new mailbox now, not in 30 s
            where = (
                f"IMAP 127.0.0.1:{box.dovecot.port} (user customer / {PASSWORD}) for replies"
                if box.dovecot
                else "no Dovecot: mail goes straight into the hub, replies stay in the sink"
            )
            print(
                f"  Demo mailbox {SUPPORT}: write to it by SMTP 127.0.0.1:{box.sink.port} "
                f"(login support / {PASSWORD}); {where}\n",
                flush=True,
            )
            yield

    app.cleanup_ctx.append(ctx)
