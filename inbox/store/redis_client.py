"""The Redis client of every process: retries, health checks, and one error translation.

A dropped connection (Valkey restarted, a failover) is retried with a short exponential
backoff on a fresh connection, and a connection idle longer than the health-check interval
is pinged before use, so the first request after Redis is back already succeeds instead of
tripping over pooled sockets to the old server.

When Redis stays down, redis-py's ``ConnectionError``/``TimeoutError`` become the domain's
:class:`~inbox.domain.errors.Unavailable` here, at the seam, for plain commands, Lua
scripts and pipelines alike: the web edge answers 503 with ``Retry-After``, never 500.
Pub/sub keeps redis-py's own errors (its listener reconnects by itself).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from inbox.domain.errors import Unavailable

RETRY_AFTER_S = 2.0


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as e:
        # The message names no host or URL: the URL may carry a password.
        raise Unavailable(
            "the session and routing store is unavailable; try again shortly",
            retry_after=RETRY_AFTER_S,
        ) from e


class _Pipeline(Pipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        with _translated():
            return await super().execute(raise_on_error)


class HubRedis(Redis):
    """``redis.asyncio.Redis`` whose outages raise :class:`Unavailable`."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        with _translated():
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return _Pipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)


def make_redis(url: str, *, timeout_s: float, retries: int, health_check_s: int) -> HubRedis:
    """The client for ``url``: bounded timeouts, retries with backoff, health checks."""
    client = HubRedis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=health_check_s,
    )
    assert isinstance(client, HubRedis)  # from_url builds ``cls``
    return client
