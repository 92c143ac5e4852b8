"""Process metrics, exported at ``/metrics`` for Prometheus."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

WEBHOOKS = Counter(
    "inbox_webhooks_total", "Webhook requests by channel and outcome", ["channel", "outcome"]
)
PERSIST_SECONDS = Histogram(
    "inbox_webhook_persist_seconds",
    "Time from request to durable store",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
