"""``/api/v1/ws``: the operator's live socket.

Server -> browser: ``{"id": stream id, "type", "conversation_id", "data", ...}`` for each
event in the operator's audience; ``{"type": "hello"}`` first, ``{"type": "resync"}`` when
the ``last_event_id`` given is older than the stream keeps (the page then reloads its
lists). Browser -> server: ``typing`` / ``viewing`` (collision warnings for others in the
same conversation), ``presence`` (online/away/offline) and ``heartbeat`` (for the router).

Catch-up without gaps or doubles: the socket subscribes to the live feed first (events
queue up), then replays the stream after ``last_event_id``, then drains the queue while
skipping ids it already sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiohttp import WSMsgType, web

from inbox.domain.errors import Forbidden, InboxError, ValidationFailed
from inbox.domain.events import Event
from inbox.domain.models import Presence
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes
from inbox.web.api.scope import Scope, visible_conversation
from inbox.web.auth import SESSION_ID
from inbox.web.hub import WebHub as Hub
from inbox.web.keys import HUB
from inbox.web.live import (
    EPHEMERAL,
    LIVE,
    LiveFeed,
    Subscriber,
    frame_text,
    id_key,
    valid_id,
)

log = structlog.get_logger(__name__)
api = ApiRoutes(tag="live")
CATCH_UP_MAX = 5000
TYPING_EVERY_S = 2.0


def same_origin(request: web.Request) -> bool:
    """Browsers send Origin on WebSocket handshakes; a cookie socket must come from us."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == request.host


@api.route("GET", "/ws", summary="The live event socket (WebSocket upgrade)")
async def websocket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    feed = request.app[LIVE]
    if request.get(SESSION_ID) and not same_origin(request):
        raise Forbidden("cross-origin socket refused", code="bad_origin")
    scope = await caller_scope(request)
    last_id = request.query.get("last_event_id") or None
    if last_id is not None and not valid_id(last_id):
        # refused before the upgrade: replaying from a guess would lose or double events
        raise ValidationFailed(
            "last_event_id must be a stream id like 1700000000000-0", code="bad_last_event_id"
        )
    ws = web.WebSocketResponse(heartbeat=hub.settings.ui.ws_heartbeat_s, max_msg_size=64 * 1024)
    await ws.prepare(request)
    feed.sockets.add(ws)
    subscriber = Subscriber(accepts=scope.sees_event)
    feed.subscribe(subscriber)
    log.info("ws_open", operator_id=scope.operator.id)
    writer = asyncio.create_task(_write(ws, feed, subscriber, last_id), name="ws_writer")
    try:
        await _read(ws, hub, feed, scope)
    finally:
        feed.unsubscribe(subscriber)
        feed.sockets.discard(ws)
        writer.cancel()
        # The writer may also have ended on a broken socket: its error ends here.
        await asyncio.gather(writer, return_exceptions=True)
        log.info("ws_closed", operator_id=scope.operator.id)
    return ws


async def _write(
    ws: web.WebSocketResponse, feed: LiveFeed, subscriber: Subscriber, last_id: str | None
) -> None:
    try:
        await _feed(ws, feed, subscriber, last_id)
    except asyncio.CancelledError:
        raise
    except Exception:  # a socket boundary: never a silent socket that gets no more events
        log.exception("ws_writer_failed")
        await ws.close(code=1011, message=b"live feed failed; reconnect with last_event_id")


async def _feed(
    ws: web.WebSocketResponse, feed: LiveFeed, subscriber: Subscriber, last_id: str | None
) -> None:
    newest = await feed.newest_id()
    sent = id_key(newest)
    await ws.send_json({"type": "hello", "last_event_id": newest})
    if last_id is not None:
        oldest = await feed.oldest_id()
        if oldest is not None and id_key(oldest) > id_key(last_id) and last_id != "0-0":
            await ws.send_json({"type": "resync"})
        elif id_key(last_id) < sent:  # else nothing was missed (Redis refuses "(" past the max)
            missed = await feed.since(last_id, CATCH_UP_MAX)
            if len(missed) == CATCH_UP_MAX:
                await ws.send_json({"type": "resync"})
                missed = []
            for sid, event in missed:
                if id_key(sid) > sent:
                    break  # newer ones come from the queue
                if event.get("type") in EPHEMERAL or not subscriber.accepts(event):
                    continue
                await ws.send_str(frame_text(sid, event))
    while True:
        sid, event, text = await subscriber.queue.get()
        if event.get("type") == "_overflow":
            await ws.close(code=1013, message=b"too slow; reconnect with last_event_id")
            return
        if not sid:  # ephemeral (pub/sub): no stream position, never replayed
            await ws.send_str(text)
            continue
        if id_key(sid) <= sent:
            continue  # already replayed
        sent = id_key(sid)
        await ws.send_str(text)


async def _read(ws: web.WebSocketResponse, hub: Hub, feed: LiveFeed, scope: Scope) -> None:
    last_typing: dict[str, float] = {}
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            continue
        try:
            data = json.loads(msg.data)
            kind = str(data.get("type", ""))
        except (ValueError, AttributeError, RecursionError):
            # too deep, not JSON or not an object: say so and keep the socket
            await ws.send_json({"type": "error", "for": "", "code": "bad_frame"})
            continue
        try:
            await _on_client(hub, feed, scope, kind, data, last_typing)
        except (InboxError, ValueError):
            await ws.send_json({"type": "error", "for": kind[:40]})
        except Exception:  # a socket boundary: one bad frame must not end the socket
            log.exception("ws_frame_failed", kind=kind[:40])
            await ws.send_json({"type": "error", "for": kind[:40]})


async def _on_client(
    hub: Hub,
    feed: LiveFeed,
    scope: Scope,
    kind: str,
    data: dict[str, Any],
    last_typing: dict[str, float],
) -> None:
    operator = scope.operator
    if kind in ("typing", "viewing"):
        conversation_id = str(data.get("conversation_id", ""))
        now = time.monotonic()
        key = f"{kind}:{conversation_id}"
        if now - last_typing.get(key, 0.0) < TYPING_EVERY_S:
            return
        last_typing[key] = now
        conversation = await visible_conversation(hub, scope, conversation_id)
        await feed.publish_ephemeral(
            Event(
                type=kind,
                at=hub.clock.now(),
                conversation_id=conversation.id,
                line_id=conversation.line_id,
                team_id=conversation.team_id,
                assignee_id=conversation.assignee_id,
                data={"operator_id": operator.id, "name": operator.name},
            )
        )
    elif kind == "presence":
        status = Presence(str(data.get("status")))
        await hub.router.set_presence(operator.id, status)  # the router publishes it
    elif kind == "heartbeat":
        await hub.router.heartbeat(operator.id)
