"""Domain events on a Redis stream: every web process reads it and fans out to browsers.

A stream (not only pub/sub) lets a reconnecting browser catch up from the last event id it
saw; the stream is capped (``MAXLEN ~``) so memory stays bounded.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from inbox.domain.events import Event

DEFAULT_MAXLEN = 10_000


class RedisEventPublisher:
    def __init__(self, redis: Redis, prefix: str, maxlen: int = DEFAULT_MAXLEN) -> None:
        self._redis = redis
        self.stream = f"{prefix}events"
        self._maxlen = maxlen

    async def publish(self, event: Event) -> str:
        payload = json.dumps(event.model_dump(mode="json"), separators=(",", ":"))
        event_id = await self._redis.xadd(
            self.stream, {"e": payload}, maxlen=self._maxlen, approximate=True
        )
        return event_id.decode() if isinstance(event_id, bytes) else str(event_id)
