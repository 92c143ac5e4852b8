"""The IMAP poller against a real Dovecot: durable UIDs, lease, IDLE, backlog, bad mail."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import zipfile
from datetime import timedelta
from email.message import EmailMessage

import pytest

from inbox.devfakes.dovecot import Dovecot
from inbox.store.mail import MongoMailboxStates
from inbox.wiring import Hub
from tests.channels import count
from tests.connectors.email.imapkit import append, imap_line, poller, run_until, wait_for
from tests.connectors.email.mailkit import email_line, mail

User = tuple[str, str]


async def _at_least(hub: Hub, n: int) -> bool:
    return await count(hub, "messages") >= n


def _mails(n: int, start: int = 0) -> list[bytes]:
    return [mail(f"c{i}@example.com", f"m{i}@example.com", f"Q {i}") for i in range(start, n)]


async def test_restart_neither_skips_nor_repeats(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user)
    append(dovecot, mailbox_user, *_mails(3))
    first = poller(hub, line)
    await run_until([first], lambda: first.imported == 3)
    second = poller(hub, line)  # a restarted worker
    append(dovecot, mailbox_user, *_mails(5, 3))
    await run_until([second], lambda: second.imported == 2)
    assert await count(hub, "messages") == 5
    state = await MongoMailboxStates(hub.db).position(line.id)
    assert state[1] == 5


async def test_idle_picks_up_new_mail_without_reconnecting(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user)
    one = poller(hub, line, noop_s=30)  # only IDLE's push can bring the mail in time

    async def appended_then_imported() -> bool:
        if one.imported == 0 and await count(hub, "mailboxes") and not _sent:
            _sent.append(1)
            append(dovecot, mailbox_user, *_mails(1))
        return one.imported == 1

    _sent: list[int] = []
    await run_until([one], appended_then_imported, within_s=20)
    assert await count(hub, "messages") == 1


async def test_two_workers_never_import_one_mailbox_twice(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user)
    append(dovecot, mailbox_user, *_mails(20))
    a, b = poller(hub, line, owner="a"), poller(hub, line, owner="b")
    await run_until([a, b], lambda: a.imported + b.imported >= 20)
    assert sorted([a.imported, b.imported]) == [0, 20]
    assert await count(hub, "messages") == 20


async def test_first_connect_imports_a_bounded_backlog(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user, backlog=4)
    append(dovecot, mailbox_user, *_mails(12))
    one = poller(hub, line)
    await run_until([one], lambda: one.imported == 4)
    stored = {d["external_id"] async for d in hub.db["messages"].find({}, {"external_id": 1})}
    assert stored == {f"m{i}@example.com" for i in range(8, 12)}  # the newest four


async def test_changed_uidvalidity_resyncs_without_repeats(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user)
    append(dovecot, mailbox_user, *_mails(3))
    first = poller(hub, line)
    await run_until([first], lambda: first.imported == 3)
    await hub.db["mailboxes"].update_one({"_id": line.id}, {"$set": {"uidvalidity": 1}})
    again = poller(hub, line)
    await run_until([again], lambda: again.imported == 3)  # re-read, all deduplicated
    assert await count(hub, "messages") == 3


def _with_attachment(mid: str, name: str, data: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"] = "big@example.com"
    msg["To"] = "support@shop.example"
    msg["Subject"] = name
    msg["Message-ID"] = f"<{mid}>"
    msg.set_content("see attached")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


async def test_hostile_mail_never_stops_the_mailbox(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user)
    hostile = [
        b"\xff\xfe garbage that is not a mail at all \x00\x01",
        b"From: x@example.com\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        _with_attachment("big@example.com", "big.bin", b"\x01" * (30 * 1024 * 1024)),
        _with_attachment("zip@example.com", "bomb.zip", _zip_bomb()),
        b"From: =?utf-8?B?QW5uDQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=?= <ann@example.com>\r\n"
        b"Subject: =?utf-8?Q?hi=0D=0ABcc:_evil@example.com?=\r\n"
        b"Message-ID: <inj@example.com>\r\n\r\nhi",
    ]
    append(dovecot, mailbox_user, _mails(1)[0], *hostile, _mails(2, 1)[0])
    one = poller(hub, line)
    await run_until([one], lambda: one.imported == 7, within_s=60)
    ids = [d["external_id"] async for d in hub.db["messages"].find({}, {"external_id": 1})]
    for mid in ("m0@example.com", "m1@example.com", "inj@example.com"):
        assert mid in ids, ids
        assert await hub.messages.get_by_external(line.id, mid) is not None
    injected = await hub.messages.get_by_external(line.id, "inj@example.com")
    assert injected is not None
    contact = await hub.contacts.get(injected.sender_id or "")
    assert contact.emails == ("ann@example.com",)  # not the address hidden in the name
    big = await hub.messages.get_by_external(line.id, "big@example.com")
    assert big is not None
    assert big.attachments == ()  # over max_mail_bytes: its headers only, with a note
    assert "only its headers were imported" in (big.text or "")
    bomb = await hub.messages.get_by_external(line.id, "zip@example.com")
    assert bomb is not None
    assert bomb.attachments[0].file_id is not None  # stored as bytes, never unpacked


def _maildir_drop(dovecot: Dovecot, user: User, mails: list[bytes]) -> None:
    """Put mails straight into the user's maildir (10,000 APPENDs would take minutes)."""
    home = dovecot.root / "mail" / user[0]
    owner = os.stat(dovecot.root / "mail")
    for sub in ("cur", "new", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
        os.chown(home / sub, owner.st_uid, owner.st_gid)
    os.chown(home, owner.st_uid, owner.st_gid)
    for i, raw in enumerate(mails):
        path = home / "new" / f"{1_700_000_000 + i}.M{i}P1.test"
        path.write_bytes(raw)
        os.chown(path, owner.st_uid, owner.st_gid)


async def test_ten_thousand_mails_at_first_connect_import_the_backlog_only(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user, backlog=25)
    _maildir_drop(dovecot, mailbox_user, _mails(10_000))
    one = poller(hub, line, call_timeout_s=60)
    await run_until([one], lambda: one.imported == 25, within_s=120)
    assert await count(hub, "messages") == 25
    _, last = await MongoMailboxStates(hub.db).position(line.id)
    assert last == 10_000


async def test_worker_job_starts_one_poller_per_email_line(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    from inbox.worker import hub_jobs

    assert "email_mailboxes" in [job.name for job in hub_jobs(hub)]
    line = await imap_line(hub, dovecot, mailbox_user)
    append(dovecot, mailbox_user, *_mails(2))
    assert hub.mailboxes is not None
    assert await hub.mailboxes.reconcile() == 1
    assert await hub.mailboxes.reconcile() == 1  # idempotent: still one per line
    try:
        await wait_for(lambda: _at_least(hub, 2))
    finally:
        await hub.mailboxes.aclose()
    assert await hub.messages.get_by_external(line.id, "m1@example.com") is not None


async def test_server_without_idle_is_polled(hub: Hub) -> None:
    with Dovecot(extra_config="imap_capability = IMAP4rev1 UIDPLUS") as plain:
        user = ("plain", "plain-pass")
        plain.add_user(*user)
        line = await imap_line(hub, plain, user)
        one = poller(hub, line, poll_s=0.2)
        sent: list[int] = []

        async def appended_then_imported() -> bool:
            if not sent and await count(hub, "mailboxes"):
                sent.append(1)
                append(plain, user, *_mails(1))
            return one.imported == 1

        await run_until([one], appended_then_imported, within_s=20)
    assert await count(hub, "messages") == 1


async def test_reconnects_after_the_server_restarts(hub: Hub) -> None:
    with Dovecot() as server:
        user = ("r", "r-pass")
        server.add_user(*user)
        line = await imap_line(hub, server, user)
        one = poller(hub, line, call_timeout_s=2, reconnect_max_s=0.5)
        stop = asyncio.Event()
        task = asyncio.create_task(one.run(stop))
        try:
            await wait_for(lambda: _connected(hub, line.id))
            await asyncio.to_thread(server.stop)  # the connection drops under the poller
            await asyncio.to_thread(server.start)
            append(server, user, *_mails(2))
            await wait_for(lambda: one.imported == 2, within_s=30)
        finally:
            stop.set()
            await task
    assert await count(hub, "messages") == 2


async def _connected(hub: Hub, line_id: str) -> bool:
    return (
        await hub.db["mailboxes"].find_one({"_id": line_id, "uidvalidity": {"$gt": 0}}) is not None
    )


async def test_a_silent_server_never_hangs_the_poller(hub: Hub) -> None:
    """It greets, then says nothing: every call times out and the poller reconnects."""
    connections: list[int] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.write(b"* OK IMAP4rev1 ready\r\n")
        await writer.drain()
        with contextlib.suppress(Exception):
            await reader.read(-1)  # swallow commands, answer nothing
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        line = await email_line(hub, imap_port=port)
        one = poller(hub, line, call_timeout_s=0.5, reconnect_max_s=0.2)
        await run_until([one], lambda: len(connections) >= 3, within_s=20)
    finally:
        server.close()
        await server.wait_closed()
    assert one.imported == 0


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_tls_modes_against_dovecot(hub: Hub, mode: str) -> None:
    with Dovecot(tls=True) as server:
        user = ("tls", "tls-pass")
        server.add_user(*user)
        port = server.port if mode == "starttls" else server.tls_port
        line = await imap_line(hub, server, user, imap_tls=mode, imap_port=port,
                               tls_ca_file=str(server.cert_file))  # fmt: skip
        append(server, user, *_mails(2))
        one = poller(hub, line)
        await run_until([one], lambda: one.imported == 2, within_s=30)
    assert await count(hub, "messages") == 2


async def test_tls_refuses_a_certificate_it_does_not_trust(hub: Hub) -> None:
    with Dovecot(tls=True) as server:
        user = ("tls", "tls-pass")
        server.add_user(*user)
        line = await imap_line(hub, server, user, imap_tls="starttls")  # system CAs only
        append(server, user, *_mails(1))
        one = poller(hub, line, reconnect_max_s=0.2)
        attempts: list[int] = []

        async def failed_twice() -> bool:
            doc = await hub.db["mailboxes"].find_one({"_id": line.id})
            attempts.append(1)
            return len(attempts) > 40 and (doc is None or not doc.get("uidvalidity"))

        await run_until([one], failed_twice, within_s=30)
    assert one.imported == 0


async def test_a_crashed_workers_lease_is_taken_over_only_once_it_lapses(
    hub: Hub, dovecot: Dovecot, mailbox_user: User
) -> None:
    line = await imap_line(hub, dovecot, mailbox_user)
    append(dovecot, mailbox_user, *_mails(3))
    now = hub.clock.now()
    held = {"owner": "crashed-worker", "lease_until": now + timedelta(hours=1)}
    await hub.db["mailboxes"].insert_one({"_id": line.id, **held})
    waiting = poller(hub, line, owner="b", lease_s=0.3)
    rounds: list[int] = []

    def some_rounds() -> bool:
        rounds.append(1)
        return len(rounds) > 20  # about a second of polling the lease

    await run_until([waiting], some_rounds)
    assert waiting.imported == 0
    lapsed = {"lease_until": now - timedelta(seconds=1)}
    await hub.db["mailboxes"].update_one({"_id": line.id}, {"$set": lapsed})
    taker = poller(hub, line, owner="b")
    await run_until([taker], lambda: taker.imported == 3)
    assert await count(hub, "messages") == 3
