"""Browser sessions and login throttling in Redis, so any web process serves any request.

A session's Redis key is an HMAC-SHA256 of its id under ``INBOX_SECRET_KEY``, and its CSRF
token (double submit: the browser sends it back in a header on every unsafe request) is
another HMAC of the id, never stored. A Redis dump thus holds neither a cookie nor a CSRF
token, and write access to Redis cannot mint a session without the key. Every web process
must therefore run with the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from redis.asyncio import Redis

from inbox.domain.ids import new_secret
from inbox.domain.web_ports import Session


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class RedisSessionStore:
    def __init__(self, redis: Redis, prefix: str, ttl_s: int, secret: bytes) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._secret = secret

    def _mac(self, purpose: str, session_id: str) -> str:
        message = f"{purpose}\0{session_id}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}session:{self._mac('session', session_id)}"

    def _index(self, operator_id: str) -> str:
        return f"{self._prefix}sessions-of:{operator_id}"

    async def create(self, operator_id: str) -> tuple[str, Session]:
        """A new session; returns (session id for the cookie, the session)."""
        session_id = new_secret(32)
        session = Session(operator_id=operator_id, csrf=self._mac("csrf", session_id))
        payload = json.dumps({"operator_id": operator_id})
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
        return Session(operator_id=str(data["operator_id"]), csrf=self._mac("csrf", session_id))

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(self._key(session_id))

    async def revoke_all(self, operator_id: str, *, keep: str | None = None) -> int:
        """End every session of an operator (password changed, account deactivated).

        ``keep`` is a session id to spare: the one making the change, when it is theirs.
        """
        index = self._index(operator_id)
        keys: Any = await self._redis.smembers(index)
        spared = self._key(keep).encode() if keep else None
        ended = [k for k in keys if k != spared]
        if ended:
            await self._redis.delete(*ended)
            await self._redis.srem(index, *ended)
        if spared is None or spared not in keys:
            await self._redis.delete(index)
        return len(ended)


# One round trip: count the attempt under both keys, then say whether it may be checked.
# Counting before the password check means at most ``limit`` attempts are ever evaluated,
# however many arrive at once. Returns 0 (go ahead) or the seconds until the next try.
_ATTEMPT = """
local window = tonumber(ARGV[1])
local function bump(key)
  local n = redis.call('INCR', key)
  if n == 1 or redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, window) end
  return n
end
local user = bump(KEYS[1])
local addr = bump(KEYS[2])
if user > tonumber(ARGV[2]) then return math.max(redis.call('TTL', KEYS[1]), 1) end
if addr > tonumber(ARGV[3]) then return math.max(redis.call('TTL', KEYS[2]), 1) end
return 0
"""

# A success ends the login's count and takes its own attempt back from the address, so a
# whole office logging in each morning behind one address is not throttled.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
return 0
"""


class RedisLoginLimiter:
    """Counts login attempts per login name and per client address in a fixed window.

    The address limit is ten times the login limit: many operators may share one office
    address. Both counters move in one Lua call, atomically.
    """

    def __init__(self, redis: Redis, prefix: str, max_attempts: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._max = max_attempts
        self._window = window_s
        self._attempt = redis.register_script(_ATTEMPT)
        self._succeeded = redis.register_script(_SUCCEEDED)

    def _keys(self, login: str, address: str) -> list[str]:
        return [
            f"{self._prefix}login:user:{_digest(login.casefold())}",
            f"{self._prefix}login:addr:{_digest(address)}",
        ]

    async def attempt(self, login: str, address: str) -> float | None:
        """Count one attempt; None when it may be checked, else seconds until a retry."""
        wait = await self._attempt(
            keys=self._keys(login, address), args=[self._window, self._max, self._max * 10]
        )
        return float(wait) if int(wait) > 0 else None

    async def succeeded(self, login: str, address: str) -> None:
        await self._succeeded(keys=self._keys(login, address), args=[])
