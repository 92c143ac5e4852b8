"""Prometheus families of the managers' side, refreshed from storage before a scrape (at
most once per ``MIN_INTERVAL_S``): ``inbox_sla_events{line_id,level}`` (warnings and
breaches recorded, monotonic), ``inbox_queue_length{line_id}``, and the histograms
``inbox_assignment_latency_seconds`` and ``inbox_first_response_seconds`` per line."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import REGISTRY, Collector

log = structlog.get_logger(__name__)

MIN_INTERVAL_S = 30.0
BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)


class ReportCollector(Collector):
    def __init__(self) -> None:
        self._snapshot: dict[str, Any] = {"queue": {}, "sla": {}, "histograms": {}}
        self._at = 0.0
        self._key = ""

    async def refresh(self, key: str, load: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        """Reload the figures of database ``key`` unless loaded less than a while ago."""
        if key == self._key and self._at and time.monotonic() - self._at < MIN_INTERVAL_S:
            return
        try:
            self._snapshot = await load()
        except Exception:  # a scrape boundary: keep the last figures, never fail /metrics
            log.exception("report_metrics_refresh_failed")
            return
        self._at = time.monotonic()
        self._key = key

    def collect(self) -> Iterator[Any]:
        snap = self._snapshot
        sla = CounterMetricFamily(
            "inbox_sla_events", "SLA warnings and breaches recorded", labels=["line_id", "level"]
        )
        for (line, level), n in sorted(snap["sla"].items()):
            sla.add_metric([str(line), str(level)], n)
        yield sla
        queue = GaugeMetricFamily(
            "inbox_queue_length", "Open unassigned conversations", labels=["line_id"]
        )
        for line, n in sorted(snap["queue"].items()):
            queue.add_metric([str(line)], n)
        yield queue
        for name, per_line in sorted(snap["histograms"].items()):
            family = HistogramMetricFamily(
                f"inbox_{name}_seconds",
                f"{name.replace('_', ' ')} per conversation, calendar time",
                labels=["line_id"],
            )
            for line, (counts, n, total) in sorted(per_line.items()):
                buckets = [(str(b), c) for b, c in zip(BUCKETS, counts, strict=True)]
                buckets.append(("+Inf", n))
                family.add_metric([str(line)], buckets, total)
            yield family


COLLECTOR = ReportCollector()
REGISTRY.register(COLLECTOR)  # once per process, beside the module-level metrics
