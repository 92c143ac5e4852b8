"""Shared pieces of the benchmarks: servers, timing and result rows."""

from __future__ import annotations

import platform
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from inbox.embedded import EmbeddedServers
from inbox.settings import Settings


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
