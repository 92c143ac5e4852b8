"""Browser sessions and login throttling in Redis, so any web process serves any request.

Only a SHA-256 of the session id is used as the key: a leaked Redis dump does not hand out
live sessions. Each session carries its own CSRF token (double-submit: the browser sends it
back in a header on every unsafe request).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from inbox.domain.ids import new_secret


@dataclass(frozen=True, slots=True)
class Session:
    operator_id: str
    csrf: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class RedisSessionStore:
    def __init__(self, redis: Redis, prefix: str, ttl_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}session:{_digest(session_id)}"

    def _index(self, operator_id: str) -> str:
        return f"{self._prefix}sessions-of:{operator_id}"

    async def create(self, operator_id: str) -> tuple[str, Session]:
        """A new session; returns (session id for the cookie, the session)."""
        session_id = new_secret(32)
        session = Session(operator_id=operator_id, csrf=new_secret(24))
        payload = json.dumps({"operator_id": operator_id, "csrf": session.csrf})
        key = self._key(session_id)
        await self._redis.set(key, payload, ex=self._ttl_s)
        # An index of the operator's sessions, so a password change can end them all.
        await self._redis.sadd(self._index(operator_id), key)
        await self._redis.expire(self._index(operator_id), self._ttl_s)
        return session_id, session

    async def get(self, session_id: str) -> Session | None:
        if not session_id or len(session_id) > 128:
            return None
        raw = await self._redis.get(self._key(session_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return Session(operator_id=str(data["operator_id"]), csrf=str(data["csrf"]))

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._key(session_id))

    async def revoke_all(self, operator_id: str) -> int:
        """End every session of an operator (password changed, account deactivated)."""
        keys: Any = await self._redis.smembers(self._index(operator_id))
        if keys:
            await self._redis.delete(*keys)
        await self._redis.delete(self._index(operator_id))
        return len(keys)


class RedisLoginLimiter:
    """Counts failed logins per login name and per client address in a fixed window."""

    def __init__(self, redis: Redis, prefix: str, max_attempts: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._max = max_attempts
        self._window = window_s

    def _keys(self, login: str, address: str) -> list[str]:
        return [
            f"{self._prefix}login:user:{_digest(login.casefold())}",
            f"{self._prefix}login:addr:{_digest(address)}",
        ]

    async def blocked_for(self, login: str, address: str) -> float | None:
        """Seconds until another attempt is allowed, or None when allowed now."""
        for key in self._keys(login, address):
            count = await self._redis.get(key)
            # The address limit is wider: many operators may share one office address.
            limit = self._max if ":user:" in key else self._max * 10
            if count is not None and int(count) >= limit:
                ttl = await self._redis.ttl(key)
                return float(max(ttl, 1))
        return None

    async def failed(self, login: str, address: str) -> None:
        for key in self._keys(login, address):
            count = await self._redis.incr(key)
            if count == 1:
                await self._redis.expire(key, self._window)

    async def succeeded(self, login: str) -> None:
        await self._redis.delete(self._keys(login, "")[0])
