"""Process start-up: resolve where MongoDB and Redis are, starting embedded ones if needed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import structlog
from pydantic import SecretStr

from inbox.embedded import EmbeddedServers, running_state
from inbox.settings import Settings

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def resolved(settings: Settings) -> Iterator[tuple[Settings, EmbeddedServers | None]]:
    """Settings with both URLs filled in.

    Unset URLs are taken from a hub already running on this data dir, or served by
    embedded servers started here and stopped when the block exits.
    """
    if not settings.embedded_needed:
        yield settings, None
        return
    state = running_state(settings.data_dir)
    if state is not None:
        yield _with_urls(settings, state["mongo_url"], state["redis_url"]), None
        return
    servers = EmbeddedServers(settings.data_dir)
    servers.start(mongo=settings.mongo_url is None, redis=settings.redis_url is None)
    log.info("embedded_started", data_dir=str(settings.data_dir))
    try:
        yield _with_urls(settings, servers.mongo_url, servers.redis_url), servers
    finally:
        servers.stop()
        log.info("embedded_stopped")


def _with_urls(settings: Settings, mongo_url: str, redis_url: str) -> Settings:
    return settings.model_copy(
        update={
            "mongo_url": settings.mongo_url or SecretStr(mongo_url),
            "redis_url": settings.redis_url or SecretStr(redis_url),
        }
    )
