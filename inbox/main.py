"""Entry points of the two processes: ``serve`` (web) and ``work`` (scheduler)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiohttp import web

from inbox.domain.errors import StartupError
from inbox.embedded import EmbeddedServers
from inbox.runtime import resolved
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import hub_of, open_hub
from inbox.worker import install_stop_signals, run_worker

log = structlog.get_logger(__name__)


def watch_embedded(app: web.Application, servers: EmbeddedServers, died: asyncio.Event) -> None:
    """Stop the process (SIGTERM to ourselves) when an embedded server dies."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async def watch() -> None:
            await servers.watch(died)
            if died.is_set():
                os.kill(os.getpid(), signal.SIGTERM)

        task = asyncio.create_task(watch())
        yield
        task.cancel()

    app.cleanup_ctx.append(ctx)


def worker_in_app(app: web.Application) -> None:
    """Run the worker's jobs inside a web process (demo: one process does everything)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(hub_of(app), stop))
        yield
        stop.set()
        await task

    app.cleanup_ctx.append(ctx)


def server_options(settings: Settings) -> dict[str, Any]:
    """aiohttp server settings against slow clients.

    aiohttp closes a connection that has not finished a request's headers when the
    keep-alive timer runs out (the timer starts when the connection opens and is not
    extended by partial headers), so it is the deadline for slow headers as well as the
    idle keep-alive time. Bodies have their own deadline (``inbox.web.body``).
    """
    return {"keepalive_timeout": settings.header_timeout_s}


def run_web(
    app: web.Application, host: str, port: int, died: asyncio.Event, settings: Settings
) -> None:
    log.info("web_listening", url=f"http://{host}:{port}")
    try:
        web.run_app(
            app,
            host=host,
            port=port,
            print=None,
            access_log=None,
            handle_signals=True,
            **server_options(settings),
        )
    except OSError as e:
        raise StartupError(f"cannot listen on {host} port {port}: {e.strerror or e}") from e
    if died.is_set():
        raise StartupError("an embedded server died; see .data/*.log")


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    with resolved(settings) as (ready, servers):
        app = build_app(ready, open_hub)
        died = asyncio.Event()
        if servers is not None:
            watch_embedded(app, servers, died)
        run_web(app, host or ready.host, port if port is not None else ready.port, died, ready)
    return 0


def work(settings: Settings) -> int:
    async def go(ready: Settings) -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        async with open_hub(ready) as hub:
            await run_worker(hub, stop)

    with resolved(settings) as (ready, _servers):
        asyncio.run(go(ready))
    return 0
