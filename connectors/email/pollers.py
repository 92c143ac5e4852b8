"""The worker's set of mailbox pollers: one task per enabled email line, kept in step with
the lines (a periodic ``reconcile``), all stopped on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Callable

import structlog

from connectors.email.config import EmailLineConfig
from connectors.email.errors import EmailConfigError
from connectors.email.imap import MailboxPoller
from inbox.domain.models import ChannelKind, Line
from inbox.domain.ports import LineRepository

log = structlog.get_logger(__name__)


def worker_identity() -> str:
    """This process's name in mailbox leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class EmailPollers:
    def __init__(self, lines: LineRepository, make_poller: Callable[[Line], MailboxPoller]) -> None:
        self._lines = lines
        self._make = make_poller
        self._running: dict[str, tuple[Line, asyncio.Task[None], asyncio.Event]] = {}
        self._addresses: frozenset[str] = frozenset()

    async def addresses(self) -> frozenset[str]:
        """Every email line's address (mail from one of them is a loop, never a customer)."""
        if not self._addresses:
            await self._refresh_addresses(await self._lines.list())
        return self._addresses

    async def _refresh_addresses(self, lines: list[Line]) -> None:
        found = set()
        for line in lines:
            if line.kind is ChannelKind.EMAIL and line.settings.get("address"):
                found.add(str(line.settings["address"]).lower())
        self._addresses = frozenset(found)

    async def reconcile(self) -> int:
        """Start pollers for new or changed email lines, stop those of removed ones."""
        lines = await self._lines.list()
        await self._refresh_addresses(lines)
        wanted: dict[str, Line] = {}
        for line in lines:
            if line.kind is not ChannelKind.EMAIL or not line.enabled:
                continue
            try:
                EmailLineConfig.from_line(line)
            except EmailConfigError as e:
                log.warning("email_line_invalid", line_id=line.id, error=e.message)
                continue
            wanted[line.id] = line
        for line_id, (line, task, _event) in list(self._running.items()):
            if line_id not in wanted or wanted[line_id] != line or task.done():
                await self._stop(line_id)
        for line_id, line in wanted.items():
            if line_id not in self._running:
                stop = asyncio.Event()
                task = asyncio.create_task(self._make(line).run(stop), name=f"imap:{line_id}")
                self._running[line_id] = (line, task, stop)
                log.info("mailbox_poller_started", line_id=line_id)
        return len(self._running)

    async def _stop(self, line_id: str) -> None:
        _, task, stop = self._running.pop(line_id)
        stop.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 10)

    async def aclose(self) -> None:
        for line_id in list(self._running):
            await self._stop(line_id)
