"""The worker's IMAP connection per mailbox (aioimaplib), built not to hang or lose mail.

- Every IMAP call runs under ``call_timeout_s`` (aioimaplib waits forever for an IDLE
  push when the server silently drops the connection); a timeout closes the connection
  and the poller reconnects with exponential backoff (capped, with jitter).
- IDLE is ended at least every ``noop_s`` for a NOOP heartbeat and a sync, so it is
  re-issued far inside RFC 2177's 29 minutes; servers without IDLE are polled.
- UIDVALIDITY and the last UID done live in MongoDB (``MailboxStates``) and advance after
  each mail is ingested: a restart re-fetches at most the mail in flight, which the
  Message-ID dedupe absorbs, and never skips one. A changed UIDVALIDITY re-reads the
  (bounded) newest backlog, again deduplicated.
- A lease in the same document means two workers never poll one mailbox; progress is
  written only while the lease is held.
- The first connect imports only the newest ``backlog`` mails; mails above
  ``max_mail_bytes`` are imported by their headers with a note.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import aioimaplib
import structlog

from connectors.email.config import EmailLineConfig, TlsMode
from connectors.email.errors import EmailConfigError, MailboxError
from connectors.email.imapwire import bounded, fetched_mails, headers_only, open_client, starttls
from connectors.email.intake import MailIntake
from inbox.domain.clock import Clock
from inbox.domain.models import Line
from inbox.domain.ports import MailboxStates

log = structlog.get_logger(__name__)
T = TypeVar("T")

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")


@dataclass(frozen=True, slots=True)
class PollerOptions:
    idle_renew_s: float = 20 * 60
    noop_s: float = 120.0
    poll_s: float = 60.0
    call_timeout_s: float = 60.0
    reconnect_max_s: float = 300.0
    lease_s: float = 90.0
    backlog: int = 200
    fetch_batch: int = 50
    max_mail_bytes: int = 40 * 1024 * 1024


class LeaseLost(MailboxError):
    code = "lease_lost"


class MailboxPoller:
    """Polls one email line's mailbox until ``stop`` is set (see the module docstring)."""

    def __init__(
        self,
        line: Line,
        *,
        intake: MailIntake,
        states: MailboxStates,
        clock: Clock,
        owner: str,
        options: PollerOptions | None = None,
    ) -> None:
        self.line = line
        self._intake = intake
        self._states = states
        self._clock = clock
        self._owner = owner
        self._o = options or PollerOptions()
        self._client: aioimaplib.IMAP4 | None = None
        self.imported = 0  # mails handed to the intake since start (tests, logs)

    async def _call(self, what: str, awaitable: Awaitable[T]) -> T:
        return await bounded(what, awaitable, self._o.call_timeout_s, self._abort)

    def _abort(self) -> None:
        """Drop the connection under a call that timed out (its task may never finish)."""
        client = self._client
        with contextlib.suppress(Exception):
            if client is not None and client.protocol and client.protocol.transport:
                client.protocol.transport.abort()

    @staticmethod
    def _ok(what: str, response: Any) -> Any:
        if getattr(response, "result", None) != "OK":
            lines = b" ".join(bytes(x) for x in getattr(response, "lines", [])[-1:])
            raise MailboxError(f"IMAP {what} refused: {lines.decode(errors='replace')[:200]}")
        return response

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the lease and keep a session going, reconnecting with backoff."""
        backoff = 1.0
        log_ = log.bind(line_id=self.line.id)
        try:
            while not stop.is_set():
                now = self._clock.now()
                if not await self._states.acquire(self.line.id, self._owner, now, self._o.lease_s):
                    await self._sleep(stop, self._o.lease_s / 3)
                    continue
                try:
                    await self._session(stop)
                    backoff = 1.0
                except EmailConfigError as e:
                    log_.warning("mailbox_config_invalid", error=e.message)
                    await self._sleep(stop, self._o.reconnect_max_s)
                except LeaseLost:
                    log_.info("mailbox_lease_lost")
                except (MailboxError, OSError, TimeoutError, aioimaplib.Abort) as e:
                    log_.warning("mailbox_disconnected", error=str(e)[:200], retry_s=backoff)
                    await self._sleep(stop, backoff * random.uniform(0.8, 1.2))  # noqa: S311
                    backoff = min(backoff * 2, self._o.reconnect_max_s)
                except Exception:  # a loop boundary: log, back off, keep serving
                    log_.exception("mailbox_crashed")
                    await self._sleep(stop, backoff)
                    backoff = min(backoff * 2, self._o.reconnect_max_s)
                finally:
                    await self._disconnect()
        finally:
            with contextlib.suppress(Exception):
                await self._states.release(self.line.id, self._owner)

    @staticmethod
    async def _sleep(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    async def _connect(self, config: EmailLineConfig) -> aioimaplib.IMAP4:
        client = open_client(config, self._o.call_timeout_s)
        self._client = client
        await self._call("connect", client.wait_hello_from_server())
        if config.imap_tls is TlsMode.STARTTLS:
            await self._call("STARTTLS", starttls(client, config))
        password = config.password.get_secret_value()
        self._ok("LOGIN", await self._call("LOGIN", client.login(config.login, password)))
        return client

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            await bounded("LOGOUT", client.logout(), 2, lambda: None)
        with contextlib.suppress(Exception):
            if client.protocol is not None and client.protocol.transport is not None:
                client.protocol.transport.abort()

    async def _session(self, stop: asyncio.Event) -> None:
        config = EmailLineConfig.from_line(self.line)
        client = await self._connect(config)
        selected = self._ok("SELECT", await self._call("SELECT", client.select(config.mailbox)))
        uidvalidity = next(
            (int(m.group(1)) for x in selected.lines if (m := _UIDVALIDITY.search(bytes(x)))), 0
        )
        log.info("mailbox_connected", line_id=self.line.id, uidvalidity=uidvalidity)
        await self.sync(client, config, uidvalidity)
        idle = client.has_capability("IDLE")
        while not stop.is_set():
            if not await self._states.acquire(
                self.line.id, self._owner, self._clock.now(), self._o.lease_s
            ):
                raise LeaseLost("another worker holds the mailbox")
            if idle:
                await self._idle(client, stop)
            else:
                await self._sleep(stop, self._o.poll_s)
            self._ok("NOOP", await self._call("NOOP", client.noop()))
            await self.sync(client, config, uidvalidity)

    async def _idle(self, client: aioimaplib.IMAP4, stop: asyncio.Event) -> None:
        """One IDLE, ended by a push, by ``stop`` or after a heartbeat slice."""
        slice_s = min(self._o.noop_s, self._o.idle_renew_s, self._o.lease_s / 3)
        done = await self._call("IDLE", client.idle_start(timeout=slice_s + self._o.call_timeout_s))
        push = asyncio.ensure_future(client.wait_server_push(timeout=slice_s))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {push, stopped}, timeout=slice_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (push, stopped):
                task.cancel()
        with contextlib.suppress(Exception):
            client.idle_done()
        await self._call("DONE", done)

    async def _start_uid(self, client: aioimaplib.IMAP4, uidvalidity: int) -> int:
        stored_validity, last = await self._states.position(self.line.id)
        if stored_validity == uidvalidity:
            return last
        backlog = int(self.line.settings.get("backlog") or self._o.backlog)
        uids = await self._search(client, 1)
        start = uids[-backlog - 1] if len(uids) > backlog else 0
        if backlog == 0 and uids:
            start = uids[-1]
        if stored_validity is not None:
            log.warning("mailbox_uidvalidity_changed", line_id=self.line.id, was=stored_validity)
        if not await self._states.advance(
            self.line.id, self._owner, uidvalidity, start, self._clock.now()
        ):
            raise LeaseLost("lease lost before the first sync")
        log.info(
            "mailbox_backlog",
            line_id=self.line.id,
            mails=len(uids),
            importing=len([u for u in uids if u > start]),
        )
        return start

    async def _search(self, client: aioimaplib.IMAP4, first: int) -> list[int]:
        response = self._ok(
            "SEARCH", await self._call("SEARCH", client.uid_search(f"UID {first}:*"))
        )
        found: set[int] = set()
        for line in response.lines[:-1]:
            found.update(int(x) for x in bytes(line).replace(b"SEARCH", b"").split() if x.isdigit())
        return sorted(u for u in found if u >= first)  # "n:*" also matches the largest UID

    async def sync(
        self, client: aioimaplib.IMAP4, config: EmailLineConfig, uidvalidity: int
    ) -> int:
        """Import every mail after the last one done; returns how many."""
        last = await self._start_uid(client, uidvalidity)
        uids = [u for u in await self._search(client, last + 1) if u > last]
        done = 0
        for i in range(0, len(uids), self._o.fetch_batch):
            batch = uids[i : i + self._o.fetch_batch]
            # A long import renews the lease batch by batch, so it never lapses mid-sync.
            if not await self._states.acquire(
                self.line.id, self._owner, self._clock.now(), self._o.lease_s
            ):
                raise LeaseLost("lease lost while importing")
            for uid, raw in await self._fetch(client, batch):
                await self._intake.take(self.line, config, raw)
                if not await self._states.advance(
                    self.line.id, self._owner, uidvalidity, uid, self._clock.now()
                ):
                    raise LeaseLost("lease lost while importing")
                self.imported += 1
                done += 1
        return done

    async def _fetch(self, client: aioimaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
        ids = ",".join(str(u) for u in uids)
        sizes = self._ok(
            "FETCH", await self._call("FETCH", client.uid("fetch", ids, "(UID RFC822.SIZE)"))
        )
        large = set()
        for line in sizes.lines:
            raw = bytes(line)
            uid, size = _UID.search(raw), _SIZE.search(raw)
            if uid and size and int(size.group(1)) > self._o.max_mail_bytes:
                large.add(int(uid.group(1)))
        small = [u for u in uids if u not in large]
        mails: dict[int, bytes] = {}
        if small:
            body = ",".join(str(u) for u in small)
            answer = self._ok(
                "FETCH", await self._call("FETCH", client.uid("fetch", body, "(UID BODY.PEEK[])"))
            )
            mails.update(fetched_mails(answer.lines))
        if large:
            heads = ",".join(str(u) for u in sorted(large))
            answer = self._ok(
                "FETCH",
                await self._call("FETCH", client.uid("fetch", heads, "(UID BODY.PEEK[HEADER])")),
            )
            mails.update({u: headers_only(h) for u, h in fetched_mails(answer.lines)})
            log.warning("mailbox_mail_too_large", line_id=self.line.id, count=len(large))
        return sorted((u, m) for u, m in mails.items() if u in set(uids))
