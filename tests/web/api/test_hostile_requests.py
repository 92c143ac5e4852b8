"""Hostile values in authenticated requests: a clear 4xx, never a 500 or a dead socket.

Edge dates and huge integers, crafted cursors, broken multipart uploads, file names with
control characters, and WebSocket frames or ids a client should never send.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSServerHandshakeError
from aiohttp.test_utils import TestClient

from inbox.domain.filenames import safe_filename
from inbox.wiring import Hub
from tests.web.api.support import World, customer_writes, make_world


async def next_error(ws: ClientWebSocketResponse) -> dict[str, Any]:
    """The next error frame (presence broadcasts from our own heartbeat may come first)."""
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=15)
        if frame["type"] == "error":
            return frame


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


async def world_and_conversation(client: TestClient, hub: Hub) -> tuple[World, str]:  # type: ignore[type-arg]
    world = await make_world(hub)
    return world, await customer_writes(client, hub, world.line_a, "m-1")


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59-14:00|6b1300000000000000000000",  # overflows in UTC
        "0001-01-01T00:00:00+14:00|6b1300000000000000000000",
        "2026-01-01T00:00:00|6b1300000000000000000000",  # naive
        '2026-01-01T00:00:00+00:00|{"$gt":""}',  # not an id of ours
        "not a date|x",
    ],
)
async def test_a_crafted_cursor_is_a_422(client: TestClient, hub: Hub, raw: str) -> None:  # type: ignore[type-arg]
    world = await make_world(hub)
    resp = await client.get(
        "/api/v1/conversations", params={"cursor": cursor(raw)}, headers=world.h(world.admin)
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "bad_cursor"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/conversations/{conv}/snooze", {"until": "9999-12-31T23:59:59-14:00"}),
        ("POST", "/conversations/{conv}/snooze", {"until": "0001-01-01T00:00:00+14:00"}),
        ("POST", "/conversations/{conv}/snooze", {"until": "10000-01-01T00:00:00Z"}),
        ("POST", "/crm/tasks", {"title": "t", "due_at": "9999-12-31T23:59:59-14:00"}),
        (
            "POST",
            "/operators",
            {"login": "big", "name": "B", "password": "p" * 8, "max_open": 2**63},
        ),
        ("PATCH", "/operators/{op}", {"max_open": 2**64}),
        ("PATCH", "/operators/{op}", {"max_open": -1}),
        ("GET", "/conversations?limit=-1", None),
        ("GET", "/conversations/{conv}/messages?limit=-5", None),
    ],
)
async def test_out_of_range_dates_and_integers_are_a_422(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    world, conv = await world_and_conversation(client, hub)
    url = "/api/v1" + path.format(conv=conv, op=world.op_a.id)
    resp = await client.request(method, url, json=body, headers=world.h(world.admin))
    assert resp.status == 422, await resp.text()
    assert set((await resp.json())["error"]) == {"code", "message"}


BAD_UPLOADS = [
    ("multipart/form-data", b"garbage"),  # no boundary
    ("multipart/form-data; boundary=XX", b"garbage"),  # no starting boundary
    (
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n',
    ),
    (
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="text"\r\n'
        b"Content-Type: text/plain; charset=nope\r\n\r\nhi\r\n--XX--\r\n",
    ),
    (
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="text"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe\r\n--XX--\r\n",
    ),
    (  # a raw CR/LF inside the quoted file name breaks the part's headers
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a\r\nb.png"\r\n'
        b"Content-Type: image/png\r\n\r\nPNG\r\n--XX--\r\n",
    ),
]


@pytest.mark.parametrize(("content_type", "body"), BAD_UPLOADS)
async def test_a_malformed_multipart_upload_is_a_422(
    client: TestClient,
    hub: Hub,
    content_type: str,
    body: bytes,  # type: ignore[type-arg]
) -> None:
    world, conv = await world_and_conversation(client, hub)
    resp = await client.post(
        f"/api/v1/conversations/{conv}/messages",
        data=body,
        headers={**world.h(world.op_a), "Content-Type": content_type},
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "invalid_upload"


async def test_a_file_name_with_cr_lf_is_cleaned_and_the_file_can_be_downloaded(
    client: TestClient,
    hub: Hub,  # type: ignore[type-arg]
) -> None:
    world, conv = await world_and_conversation(client, hub)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; '
        b"filename*=UTF-8''..%2F%D0%BF%D1%80%D0%B0%D0%B9%D1%81%0D%0ASet-Cookie%3A%20x.pdf\r\n"
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--XX--\r\n"
    )
    resp = await client.post(
        f"/api/v1/conversations/{conv}/messages",
        data=body,
        headers={**world.h(world.op_a), "Content-Type": "multipart/form-data; boundary=XX"},
    )
    assert resp.status == 201
    [attachment] = (await resp.json())["message"]["attachments"]
    assert attachment["name"] == "прайс Set-Cookie: x.pdf"
    got = await client.get(f"/api/v1/files/{attachment['file_id']}", headers=world.h(world.op_a))
    assert got.status == 200
    assert await got.read() == b"%PDF-1.4"
    assert "Set-Cookie" not in got.headers
    disposition = got.headers["Content-Disposition"]
    assert disposition.isascii()
    assert "filename*=UTF-8''%D0%BF%D1%80%D0%B0%D0%B9%D1%81%20Set-Cookie%3A%20x.pdf" in disposition


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("a\r\nb.png", "a b.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("\x00\x1b[31m.pdf", "[31m.pdf"),
        ("bad\ud800name.txt", "bad name.txt"),
        ("...", "file"),
        ("", "file"),
        ("x" * 300 + ".docx", "x" * 195 + ".docx"),
    ],
)
def test_safe_filename(name: str, clean: str) -> None:
    assert safe_filename(name) == clean


async def test_a_socket_answers_a_bad_frame_with_an_error_and_stays_up(
    client: TestClient,
    hub: Hub,  # type: ignore[type-arg]
) -> None:
    world = await make_world(hub)
    ws = await client.ws_connect("/api/v1/ws", headers=world.h(world.op_a))
    assert (await ws.receive_json(timeout=15))["type"] == "hello"
    for frame in ("[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, "[1]", "nope"):
        await ws.send_str(frame)
        answer = await ws.receive_json(timeout=15)
        assert (answer["type"], answer["code"]) == ("error", "bad_frame")
    await ws.send_json({"type": "presence", "status": "nonsense"})
    assert await next_error(ws) == {"type": "error", "for": "presence"}
    await ws.send_json({"type": "heartbeat"})  # still served
    await ws.send_json({"type": "typing", "conversation_id": "nope"})
    assert await next_error(ws) == {"type": "error", "for": "typing"}
    assert not ws.closed
    await ws.close()
    assert ws.close_code != 1011


@pytest.mark.parametrize(
    "last_id", ["9" * 30 + "-0", "18446744073709551616-0", "1-99999999999999999999", "-1", "1-2-3"]
)
async def test_a_bad_last_event_id_is_refused_before_the_upgrade(
    client: TestClient,
    hub: Hub,
    last_id: str,  # type: ignore[type-arg]
) -> None:
    world = await make_world(hub)
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect(
            "/api/v1/ws", params={"last_event_id": last_id}, headers=world.h(world.op_a)
        )
    assert refused.value.status == 422


async def test_the_largest_valid_last_event_id_still_opens_the_socket(
    client: TestClient,
    hub: Hub,  # type: ignore[type-arg]
) -> None:
    world = await make_world(hub)
    top = f"{2**64 - 1}-{2**64 - 1}"
    ws = await client.ws_connect(
        "/api/v1/ws", params={"last_event_id": top}, headers=world.h(world.op_a)
    )
    assert (await ws.receive_json(timeout=15))["type"] == "hello"
    await ws.send_json({"type": "heartbeat"})
    await ws.send_json({"type": "typing", "conversation_id": "nope"})
    assert await next_error(ws) == {"type": "error", "for": "typing"}
    await ws.close()
