"""Shared pieces of the benchmarks: servers, timing and result rows."""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from inbox.embedded import EmbeddedServers
from inbox.settings import Settings
from inbox.store.mongo import make_client

CONCURRENCY = (1, 10, 50)


@dataclass
class Row:
    """One measured case. ``rate`` is per second; latencies in milliseconds."""

    section: str
    case: str
    count: int
    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """What every benchmark gets: running servers and fresh settings per case."""

    servers: EmbeddedServers
    workdir: Path
    quick: bool = False

    def settings(self, **overrides: Any) -> Settings:
        tag = uuid.uuid4().hex[:8]
        values: dict[str, Any] = {
            "mongo_url": SecretStr(self.servers.mongo_url),
            "redis_url": SecretStr(self.servers.redis_url),
            "mongo_db": f"bench_{tag}",
            "redis_prefix": f"b{tag}:",
            "data_dir": self.workdir,
            "log_level": "WARNING",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of samples, by the inclusive method."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[max(0, min(98, int(q) - 1))]


def latency_row(
    section: str, case: str, latencies_s: Sequence[float], elapsed_s: float, note: str = ""
) -> Row:
    ms = [x * 1000 for x in latencies_s]
    return Row(
        section=section,
        case=case,
        count=len(ms),
        rate=round(len(ms) / elapsed_s, 1) if elapsed_s > 0 else None,
        p50_ms=round(percentile(ms, 50), 3),
        p99_ms=round(percentile(ms, 99), 3),
        note=note,
    )


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


async def drive(
    count: int, concurrency: int, post: Callable[[int], Awaitable[None]]
) -> tuple[list[float], float]:
    """Call ``post(i)`` for i in range(count) from ``concurrency`` workers; latencies, elapsed."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            start = time.perf_counter()
            await post(i)
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def floor_rows(
    ctx: Context, section: str, count: int, body: Callable[[int, int], bytes]
) -> list[Row]:
    """The floor: a bare aiohttp handler doing one ``insert_one`` of each posted body."""
    settings = ctx.settings()
    assert settings.mongo_url is not None
    client = make_client(settings.mongo_url.get_secret_value())
    collection = client[settings.mongo_db]["floor"]

    async def handler(request: web.Request) -> web.Response:
        await collection.insert_one(json.loads(await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/floor", handler)
    server = TestServer(app)
    await server.start_server()
    rows = []
    try:
        async with aiohttp.ClientSession() as http:
            url = str(server.make_url("/floor"))
            for conc in CONCURRENCY:

                async def post(i: int, conc: int = conc) -> None:
                    async with http.post(url, data=body(i, conc)) as resp:
                        resp.raise_for_status()

                latencies, elapsed = await drive(count, conc, post)
                rows.append(
                    latency_row(
                        section, f"floor: bare handler + insert_one, c={conc}", latencies, elapsed
                    )
                )
    finally:
        await server.close()
        await client.drop_database(settings.mongo_db)
        await client.close()
    return rows
