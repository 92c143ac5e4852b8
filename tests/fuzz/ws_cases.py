"""Probes of the live socket ``/api/v1/ws``: hostile ``last_event_id`` values and hostile
frames. The socket must survive (answer the next frame) or close with a meaningful code;
closing abnormally (1006, 1011) or going silent is a failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import yarl
from hypothesis import strategies as st

from tests.fuzz import hostile
from tests.fuzz.probes import HOST, Probe
from tests.fuzz.target import World

ROUTE = "GET /api/v1/ws"
# An invalid presence is answered {"type": "error", "for": "presence"}: the reading side
# lives. Going away and back publishes a presence event: the writing side lives too.
STILL_THERE = [
    json.dumps({"type": "presence", "status": "fz-still-there"}),
    json.dumps({"type": "presence", "status": "away"}),
    json.dumps({"type": "presence", "status": "online"}),
]
WRITER_WAIT = 3.0  # seconds for the presence event once the socket has answered
FINE_CLOSE = {1000, 1001, 1003, 1007, 1008, 1009, 1013}  # meaningful, chosen by the server

LAST_EVENT_IDS = [  # the first ones are what the short run sends
    "9" * hostile.HUGE_DIGITS,
    f"{2**64}-0",
    "0",
    "0-0",
    "abc",
    "-1",
    "$",
    "+",
    f"{2**63}-{2**63}",
    "x" * 5000,
    "\x00",
    "1-",
    "99999999999999999999-99999999999999999999",
]
FRAMES: dict[str, str] = {
    "deep array frame": hostile.deep_array().data.decode(),
    "deep object frame": hostile.deep_object().data.decode(),
    "huge integer frame": hostile.huge_int().data.decode(),
    "huge integer field": '{"type": "typing", "conversation_id": ' + "9" * 4400 + "}",
    "type is an object": '{"type": {"$gt": ""}}',
    "type is deep": '{"type": ' + hostile.deep_array().data.decode() + "}",
    "lone surrogate escape": '{"type": "\\ud800", "conversation_id": "\\udc00"}',
    "not JSON": "hello",
    "JSON array": "[]",
    "JSON null": "null",
    "huge string": json.dumps({"type": "typing", "conversation_id": "x" * hostile.HUGE_STRING}),
}


def probe(
    world: World, role: str, category: str, last_event_id: str | None, frame: str | None
) -> Probe:
    path = "/api/v1/ws"
    if last_event_id is not None:
        from tests.fuzz.api_cases import quote

        path += f"?last_event_id={quote(last_event_id)}"
    return Probe(
        "websocket",
        ROUTE,
        "GET",
        path,
        category,
        world.auth_headers(role, "bearer", "GET"),
        (frame or "").encode("utf-8", "surrogatepass"),
        role=role,
    )


def catalogue(world: World, short: bool = False) -> Iterator[Probe]:
    for value in LAST_EVENT_IDS[:2] if short else LAST_EVENT_IDS:
        yield probe(world, "operator", f"last_event_id {value[:12]!r}", value, None)
    for label, frame in list(FRAMES.items())[:3] if short else FRAMES.items():
        yield probe(world, "operator", label, None, frame)


@st.composite
def random_probe(draw: st.DrawFn, world: World) -> Probe:
    doc = draw(
        st.one_of(hostile.json_values, hostile.mutated({"type": "typing", "conversation_id": "x"}))
    )
    role = draw(st.sampled_from(["admin", "manager", "operator"]))
    return probe(
        world, role, "hypothesis", None, hostile.encode(doc).decode("utf-8", "surrogatepass")
    )


async def _talk(port: int, p: Probe, request_id: str, seconds: float) -> tuple[int | None, str]:
    """(status, what happened): 101 and "alive"/"closed N", or the handshake's status."""
    headers: dict[str, Any] = {k: v for k, v in p.headers.items()}
    headers["X-Request-Id"] = request_id
    url = f"http://{HOST}:{port}{p.path}"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                yarl.URL(url, encoded=True),
                headers=headers,
                timeout=aiohttp.ClientWSTimeout(ws_close=seconds),
            ) as ws:
                if p.body:
                    await ws.send_str(p.body.decode("utf-8", "surrogatepass"))
                for frame in STILL_THERE:
                    await ws.send_str(frame)
                return 101, await _verdict(ws, seconds)
        except aiohttp.WSServerHandshakeError as e:
            return e.status, "handshake refused"
        except TimeoutError:
            return None, "timeout"
        except (aiohttp.ClientError, UnicodeError, ValueError) as e:
            return None, f"unsendable: {type(e).__name__}"


async def _verdict(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> str:
    reader = writer = False
    wait = seconds
    while not (reader and writer):
        try:
            msg = await ws.receive(timeout=wait)
        except TimeoutError:
            return "writer dead" if reader else "timeout"
        if msg.type is not aiohttp.WSMsgType.TEXT:
            if msg.type is aiohttp.WSMsgType.BINARY:
                continue
            return f"closed {ws.close_code}"
        try:
            data = json.loads(msg.data)
        except ValueError:
            continue
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "error" and data.get("for") == "presence":
            reader, wait = True, WRITER_WAIT
        elif kind == "presence":
            writer = True
    return "alive"


def judge_ws(status: int | None, what: str) -> list[tuple[str, str]]:
    if what == "timeout":
        return [("hang", "the socket answered nothing")]
    if what == "writer dead":
        return [("websocket killed", "the socket reads but sends no more events")]
    if status is not None and status >= 500:
        return [("5xx", str(status))]
    if what.startswith("closed"):
        code = what.split()[-1]
        if not code.isdigit() or int(code) not in FINE_CLOSE:
            return [("websocket killed", f"the hub {what} after the frame")]
    return []


def talk(port: int, p: Probe, request_id: str, timeout: float) -> tuple[int | None, str]:
    # A live socket answers within milliseconds; a shorter wait keeps dead ones cheap.
    return asyncio.run(_talk(port, p, request_id, min(timeout, WRITER_WAIT)))
