"""IMAP wire helpers shared by the poller and the Sent-folder copy (aioimaplib).

``bounded`` runs one call under a timeout without waiting for aioimaplib to acknowledge
its cancellation (it may never: that is the known hang on a dropped connection);
``starttls`` upgrades a plain connection in place, which aioimaplib has no method for.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aioimaplib

from connectors.email.config import EmailLineConfig, TlsMode
from connectors.email.errors import MailboxError, MailboxTimeout

T = TypeVar("T")

_UID = re.compile(rb"\bUID (\d+)")

TOO_LARGE_NOTE = (
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"[This mail was larger than the hub's limit; only its headers were imported.]\r\n"
)


def headers_only(head: bytes) -> bytes:
    """A mail too large to import: its headers, minus its MIME structure, plus a note."""
    out: list[bytes] = []
    skip = False
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skip:
                out.append(line)
            continue
        skip = line.lower().startswith((b"content-", b"mime-version"))
        if line and not skip:
            out.append(line)
    return b"\r\n".join(out) + b"\r\n" + TOO_LARGE_NOTE


async def bounded(
    what: str, awaitable: Awaitable[T], timeout_s: float, on_timeout: Callable[[], None]
) -> T:
    """``awaitable`` within ``timeout_s``, or ``MailboxTimeout``. Unlike ``wait_for``, it
    never waits for the abandoned call to acknowledge its cancellation: aioimaplib calls
    can ignore it and block forever on a silent or dropped connection."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if task in done:
        return task.result()
    on_timeout()
    task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # never "never retrieved"
    raise MailboxTimeout(f"IMAP {what} took longer than {timeout_s}s")


def open_client(config: EmailLineConfig, timeout_s: float) -> aioimaplib.IMAP4:
    host, port = config.imap_host, config.imap_port
    if config.imap_tls is TlsMode.IMPLICIT:
        return aioimaplib.IMAP4_SSL(host=host, port=port, timeout=timeout_s,
                                    ssl_context=config.ssl_context())  # fmt: skip
    return aioimaplib.IMAP4(host=host, port=port, timeout=timeout_s)


async def starttls(client: aioimaplib.IMAP4, config: EmailLineConfig) -> None:
    """Upgrade a plain connection (RFC 3501 STARTTLS), then re-read the capabilities.

    aioimaplib knows the command but offers no method for it: the protocol's transport is
    upgraded in place with ``loop.start_tls``.
    """
    protocol = client.protocol
    if "STARTTLS" not in protocol.capabilities:
        await protocol.capability()
        if "STARTTLS" not in protocol.capabilities:
            raise MailboxError("the IMAP server does not offer STARTTLS")
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await protocol.execute(command)
    if response.result != "OK":
        raise MailboxError("the IMAP server refused STARTTLS")
    loop = asyncio.get_running_loop()
    protocol.transport = await loop.start_tls(
        protocol.transport, protocol, config.ssl_context(), server_hostname=config.imap_host
    )
    await protocol.capability()


def fetched_mails(lines: list[Any]) -> list[tuple[int, bytes]]:
    """``(uid, raw)`` pairs from a UID FETCH answer (the UID may follow the literal)."""
    out: list[tuple[int, bytes]] = []
    pending: int | None = None
    for index, line in enumerate(lines):
        if isinstance(line, bytearray):
            uid = pending
            if uid is None and index + 1 < len(lines) and isinstance(lines[index + 1], bytes):
                match = _UID.search(lines[index + 1])
                uid = int(match.group(1)) if match else None
            if uid is not None:
                out.append((uid, bytes(line)))
            pending = None
        elif isinstance(line, bytes) and b"FETCH" in line:
            match = _UID.search(line)
            pending = int(match.group(1)) if match else None
    return out


async def append_copy(config: EmailLineConfig, raw: bytes, timeout_s: float = 30.0) -> None:
    """Put a copy of a sent reply into the line's Sent folder (best effort, bounded)."""
    client = open_client(config, timeout_s)

    async def go() -> None:
        await client.wait_hello_from_server()
        if config.imap_tls is TlsMode.STARTTLS:
            await starttls(client, config)
        await client.login(config.login, config.password.get_secret_value())
        with contextlib.suppress(Exception):  # usually exists already
            await client.create(config.sent_folder)
        answer = await client.append(raw, mailbox=config.sent_folder, flags="(\\Seen)")
        if answer.result != "OK":
            raise MailboxError("the server refused the copy to the Sent folder")
        await client.logout()

    try:
        await bounded("APPEND", go(), timeout_s, lambda: None)
    finally:
        with contextlib.suppress(Exception):
            if client.protocol is not None and client.protocol.transport is not None:
                client.protocol.transport.close()
