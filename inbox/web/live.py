"""The live feed of one web process: one reader of the Redis event stream, many sockets.

Every domain event is XADDed to ``{prefix}events`` by whichever process produced it. Each
web process runs one :class:`LiveFeed` task that reads the stream (``XREAD BLOCK`` from the
newest id at start) and offers every entry to its subscribers; each subscriber filters by
its operator's audience and writes to its WebSocket. So any number of web processes serve
any number of operators, and a browser reconnecting anywhere catches up with ``XRANGE``
from the last id it saw (see ``inbox.web.api.ws``).

Ephemeral signals (typing, viewing, presence) go over Redis pub/sub on
``{prefix}live`` instead: they reach every process just the same, but never take room in
the stream that reconnecting browsers catch up from, and they carry no stream id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from redis.asyncio import Redis

from inbox.domain.events import Event

log = structlog.get_logger(__name__)

# Ephemeral kinds are shown live only: never replayed after a reconnect.
EPHEMERAL = frozenset({"typing", "viewing", "presence"})
QUEUE_MAX = 1000


def id_key(stream_id: str) -> tuple[int, int]:
    """A stream id ("1700000000000-3") as a comparable tuple."""
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


_STREAM_ID = re.compile(r"^\d{1,20}(-\d{1,20})?$")
_UINT64 = 2**64 - 1


def valid_id(stream_id: str) -> bool:
    """A Redis stream id ("ms-seq", both unsigned 64-bit); anything else Redis refuses."""
    if not _STREAM_ID.match(stream_id):
        return False
    ms, seq = id_key(stream_id)
    return ms <= _UINT64 and seq <= _UINT64


def decode(entry_id: Any, fields: Any) -> tuple[str, dict[str, Any]]:
    sid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    raw = fields.get(b"e", fields.get("e", b"{}"))
    event: dict[str, Any] = json.loads(raw)
    return sid, event


def frame_text(sid: str, event: dict[str, Any]) -> str:
    """The socket frame of one stream entry: the event with its stream id."""
    return json.dumps({"id": sid, **event}, separators=(",", ":"), ensure_ascii=False)


@dataclass(eq=False)
class Subscriber:
    """One socket's inbox of events; ``accepts`` is its audience filter."""

    accepts: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[tuple[str, dict[str, Any], str]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_MAX)
    )
    overflowed: bool = False

    def offer(self, sid: str, event: dict[str, Any], text: str) -> None:
        """Queue one event (``text`` is its frame, serialized once for all sockets)."""
        if self.overflowed or not self.accepts(event):
            return
        try:
            self.queue.put_nowait((sid, event, text))
        except asyncio.QueueFull:
            # A stuck browser: stop queueing; its socket closes and it catches up on reconnect.
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(("", {"type": "_overflow"}, ""))


class LiveFeed:
    def __init__(self, redis: Redis, stream: str, channel: str, *, block_ms: int = 1000) -> None:
        self._redis = redis
        self.stream = stream
        self.channel = channel
        self._block_ms = block_ms
        self._subscribers: set[Subscriber] = set()
        self.sockets: set[web.WebSocketResponse] = set()
        self._stopping = False

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def block_s(self) -> float:
        return self._block_ms / 1000

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def newest_id(self) -> str:
        newest: Any = await self._redis.xrevrange(self.stream, count=1)
        return decode(*newest[0])[0] if newest else "0-0"

    async def oldest_id(self) -> str | None:
        oldest: Any = await self._redis.xrange(self.stream, count=1)
        return decode(*oldest[0])[0] if oldest else None

    async def since(self, last_id: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Entries after ``last_id`` (exclusive), oldest first."""
        entries: Any = await self._redis.xrange(self.stream, min=f"({last_id}", count=limit)
        return [decode(eid, f) for eid, f in entries]

    def stop(self) -> None:
        self._stopping = True

    async def publish_ephemeral(self, event: Event) -> None:
        """Send a typing/viewing/presence signal to every web process's sockets."""
        payload = json.dumps(event.model_dump(mode="json"), separators=(",", ":"))
        await self._redis.publish(self.channel, payload)

    async def run_ephemeral(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.channel)
        try:
            while not self._stopping:
                try:
                    msg = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self.block_s
                    )
                except asyncio.CancelledError:
                    raise
                except Exception:  # the reader loop: log, back off, keep serving
                    if self._stopping:
                        return
                    log.exception("live_pubsub_failed")
                    await asyncio.sleep(1)
                    continue
                if msg is None or msg.get("type") != "message":
                    continue
                event: dict[str, Any] = json.loads(msg["data"])
                text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
                for subscriber in list(self._subscribers):
                    subscriber.offer("", event, text)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def run(self) -> None:
        last = await self.newest_id()
        while not self._stopping:
            try:
                reply: Any = await self._redis.xread(
                    {self.stream: last}, block=self._block_ms, count=500
                )
            except asyncio.CancelledError:
                raise
            except Exception:  # the reader loop: log, back off, keep serving
                if self._stopping:
                    return
                log.exception("live_read_failed")
                await asyncio.sleep(1)
                continue
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    sid, event = decode(entry_id, fields)
                    last = sid
                    text = frame_text(sid, event)
                    for subscriber in list(self._subscribers):
                        subscriber.offer(sid, event, text)


LIVE = web.AppKey("live", LiveFeed)


def setup_live(
    app: web.Application, redis_of: Callable[[web.Application], tuple[Redis, str, str]]
) -> None:
    """Start the feed after the hub opened; stop it and close sockets on shutdown."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        redis, stream, channel = redis_of(app)
        feed = LiveFeed(redis, stream, channel)
        app[LIVE] = feed
        tasks = {
            asyncio.create_task(feed.run(), name="live_feed"),
            asyncio.create_task(feed.run_ephemeral(), name="live_ephemeral"),
        }
        yield
        for ws in list(feed.sockets):
            await ws.close(code=1001, message=b"server shutdown")
        # redis-py may absorb a cancellation inside a blocking read, so the loop also checks
        # a flag, and shutdown waits at most one block period for it.
        feed.stop()
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=feed.block_s + 1)

    app.cleanup_ctx.append(ctx)
