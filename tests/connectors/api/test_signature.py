"""Signatures of the API channel (timestamped and legacy) and of every connector that
compares one: hostile headers are a 401, never a 500."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from connectors.api.config import TOLERANCE_S, signed_headers
from connectors.signing import sign_timestamped, verify, verify_timestamped
from inbox.domain.clock import FrozenClock
from inbox.domain.models import ChannelKind, Role
from inbox.wiring import Hub
from tests.channels import viber_line
from tests.helpers import api_body, make_line, operator_with_token, post_api

NON_ASCII = ["sha256=é", "sha256=" + "ф" * 64, "\u00ff" * 10, "sha256=\u2028"]


async def raw_post(client: TestClient, path: str, body: bytes, headers: list[bytes]) -> bytes:  # type: ignore[type-arg]
    """A request with header bytes exactly as given (a client library would refuse them)."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = [
        f"POST {path} HTTP/1.1".encode(),
        f"Host: {client.host}".encode(),
        f"Content-Length: {len(body)}".encode(),
        b"Connection: close",
        *headers,
    ]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


async def test_non_ascii_signatures_are_401_on_every_channel(client: TestClient, hub: Hub) -> None:
    api = await make_line(hub)
    legacy = await make_line(hub, settings={"signature_scheme": "body"})
    viber = await viber_line(hub)
    telegram = await make_line(hub, ChannelKind.TELEGRAM, credentials={"token": "1:abc"})
    body = api_body("m-1")
    cases = [
        (f"/webhooks/api/{api.id}", b"X-Inbox-Signature", b"X-Inbox-Timestamp: 1767603600"),
        (f"/webhooks/api/{legacy.id}", b"X-Inbox-Signature", b"X-Other: 1"),
        (f"/webhooks/viber/{viber.id}", b"X-Viber-Content-Signature", b"X-Other: 1"),
        (f"/webhooks/telegram/{telegram.id}", b"X-Telegram-Bot-Api-Secret-Token", b"X-O: 1"),
    ]
    for path, name, extra in cases:
        for value in NON_ASCII:
            for encoded in (value.encode(), value.encode("latin-1", "replace"), b"\xff\xfe"):
                answer = await raw_post(client, path, body, [name + b": " + encoded, extra])
                assert status_of(answer) == 401, (path, encoded, answer[:300])
    assert await hub.db["messages"].count_documents({}) == 0


def test_verify_refuses_non_ascii_without_raising() -> None:
    assert not verify("secret", b"{}", "sha256=é", prefix="sha256=")
    assert not verify_timestamped(
        "secret", b"{}", "é", "1", now=1, tolerance_s=10, prefix="sha256="
    )
    assert not verify_timestamped("secret", b"{}", "x", "١٢٣", now=123, tolerance_s=10)


async def test_new_lines_sign_with_a_timestamp(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    assert line.settings["signature_scheme"] == "timestamped"
    status, _ = await post_api(client, line, api_body("m-1"))
    assert status == 200
    body = api_body("m-2")
    legacy_headers = signed_headers(line.secret("secret"), body, now=0, scheme="body")
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=legacy_headers)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "bad_signature"


async def test_a_captured_request_cannot_be_replayed_later(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    body = api_body("m-replay")
    now = clock.now().timestamp()
    headers = signed_headers(line.secret("secret"), body, now=now, scheme="timestamped")
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
    assert resp.status == 200
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
    assert resp.status == 200  # within the tolerance: a duplicate, stored once
    clock.advance(TOLERANCE_S + 1)
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
    assert resp.status == 401
    assert await hub.db["messages"].count_documents({}) == 1


async def test_timestamps_far_off_missing_or_unsigned_are_refused(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    secret = line.secret("secret")
    now = int(clock.now().timestamp())
    body = api_body("m-1")
    future = now + int(TOLERANCE_S) + 5
    attempts = [
        {"X-Inbox-Signature": "sha256=" + sign_timestamped(secret, now, body)},
        {
            "X-Inbox-Timestamp": str(future),
            "X-Inbox-Signature": "sha256=" + sign_timestamped(secret, future, body),
        },
        {  # the timestamp is part of what is signed: changing it breaks the signature
            "X-Inbox-Timestamp": str(now + 1),
            "X-Inbox-Signature": "sha256=" + sign_timestamped(secret, now, body),
        },
        {"X-Inbox-Timestamp": "9" * 40, "X-Inbox-Signature": "sha256=00"},
        {"X-Inbox-Timestamp": "-5", "X-Inbox-Signature": "sha256=00"},
    ]
    for headers in attempts:
        resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
        assert resp.status == 401, headers
    assert await hub.db["messages"].count_documents({}) == 0


async def test_legacy_lines_keep_the_body_only_scheme(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub, settings={"signature_scheme": "body"})
    body = api_body("m-1")
    headers = signed_headers(line.secret("secret"), body, now=0, scheme="body")
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
    assert resp.status == 200


async def test_a_legacy_line_migrates_with_one_patch(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    await hub.lines.replace(line.model_copy(update={"settings": {}}))  # as stored before
    _, admin = await operator_with_token(hub, "root", Role.ADMIN)
    body = api_body("m-1")
    old = signed_headers(line.secret("secret"), body, now=0, scheme="body")
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=old)
    assert resp.status == 200
    resp = await client.patch(
        f"/api/v1/lines/{line.id}",
        json={"settings": {"signature_scheme": "timestamped"}},
        headers=admin,
    )
    assert resp.status == 200, await resp.text()
    body = api_body("m-2")
    old = signed_headers(line.secret("secret"), body, now=0, scheme="body")
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=old)
    assert resp.status == 401
    status, _ = await post_api(client, await hub.lines.get(line.id), body)
    assert status == 200
