"""Helpers of the IMAP tests: append mail, run a poller until a condition holds."""

from __future__ import annotations

import asyncio
import imaplib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from connectors.email.imap import MailboxPoller, PollerOptions
from inbox.devfakes.dovecot import Dovecot
from inbox.domain.models import Line
from inbox.store.mail import MongoMailboxStates
from inbox.wiring import Hub, mail_intake
from tests.connectors.email.mailkit import email_line

FAST = PollerOptions(
    noop_s=0.5, poll_s=0.5, call_timeout_s=5, reconnect_max_s=1, lease_s=6, backlog=200
)


async def imap_line(hub: Hub, dovecot: Dovecot, user: tuple[str, str], **settings: Any) -> Line:
    values = {"imap_port": dovecot.port, "login": user[0], **settings}
    line = await email_line(hub, **values)
    creds = {**line.credentials, "password": SecretStr(user[1])}
    return await hub.lines.replace(line.model_copy(update={"credentials": creds}))


def append(dovecot: Dovecot, user: tuple[str, str], *mails: bytes) -> None:
    client = imaplib.IMAP4(dovecot.host, dovecot.port, timeout=10)
    try:
        client.login(*user)
        for raw in mails:
            client.append("INBOX", None, None, raw)
    finally:
        client.logout()


def poller(hub: Hub, line: Line, owner: str = "w1", **options: Any) -> MailboxPoller:
    return MailboxPoller(
        line,
        intake=mail_intake(hub),
        states=MongoMailboxStates(hub.db),
        clock=hub.clock,
        owner=owner,
        options=replace(FAST, **options),
    )


async def wait_for(condition: Callable[[], Any], within_s: float = 30) -> None:
    """Until ``condition()`` (awaitable or not) is truthy; TimeoutError after ``within_s``."""
    async with asyncio.timeout(within_s):
        while True:
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.05)


async def run_until(
    pollers: list[MailboxPoller], condition: Callable[[], Any], within_s: float = 30
) -> None:
    """Run the pollers until ``condition()`` is truthy (awaitable or not), then stop them."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.run(stop)) for p in pollers]
    try:
        await wait_for(condition, within_s)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
