"""``/webhooks/{kind}/{line_id}``: verify, parse, persist, and only then answer 2xx.

The follow-up (live events, routing, CRM) runs after the answer; a crash before it
finishes is healed by a replayed delivery or by the worker (see ``inbox.services.ingest``).
"""

from __future__ import annotations

import time

import structlog
from aiohttp import web

from inbox.domain.errors import InboxError, NotFound, PayloadRejected
from inbox.domain.inbound import WebhookRequest
from inbox.domain.models import ChannelKind
from inbox.web.body import read_limited
from inbox.web.keys import HUB
from inbox.web.metrics import PERSIST_SECONDS, WEBHOOKS
from inbox.web.middleware import error_response

log = structlog.get_logger(__name__)
routes = web.RouteTableDef()

RETRY_AFTER_S = 5  # a store outage: ask the platform to come back soon


@routes.route("*", "/webhooks/{kind}/{line_id}")
async def webhook(request: web.Request) -> web.StreamResponse:
    if request.method not in ("GET", "POST"):
        raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST"])
    started = time.perf_counter()
    hub = request.app[HUB]
    kind_name = request.match_info["kind"]
    line_id = request.match_info["line_id"]
    structlog.contextvars.bind_contextvars(line_id=line_id, channel=kind_name)
    try:
        kind = ChannelKind(kind_name)
    except ValueError:
        raise NotFound(f"unknown channel {kind_name!r}", code="channel_not_supported") from None
    try:
        line = await hub.lines.get(line_id)
    except InboxError:
        raise
    except Exception:  # a request boundary: the store is down; the platform retries
        log.exception("webhook_line_lookup_failed", line_id=line_id)
        return _unavailable()
    if line.kind is not kind or not line.enabled:
        raise NotFound(f"line {line_id} not found", code="line_not_found")
    outcome = "error"
    try:
        body = await read_limited(request, hub.settings.webhook_max_body)
        incoming = WebhookRequest(
            method=request.method,
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(request.query),
            body=body,
        )
        connector = hub.connectors.get(kind)
        try:
            result = await connector.handle(line, incoming)
            persisted = await hub.ingest.persist(line, result.events)
        except PayloadRejected as e:  # signed (handle verifies first), but never storable
            outcome = "rejected"
            await hub.rejections.record(line, body, e)
            return _rejected(connector, e)
        except InboxError:
            raise
        except Exception:  # a request boundary: a store outage; the platform retries
            log.exception("webhook_not_persisted", line_id=line_id)
            return _unavailable()
        outcome = "duplicate" if persisted.duplicates and not persisted.stored else "ok"
    finally:
        WEBHOOKS.labels(kind.value, outcome).inc()
    PERSIST_SECONDS.labels(kind.value).observe(time.perf_counter() - started)
    if persisted.stored or persisted.events:
        hub.spawn(hub.ingest.follow_up(persisted), name=f"follow_up:{line_id}")
    if isinstance(result.body, str):
        return web.Response(text=result.body, status=result.status)
    return web.json_response(result.body, status=result.status)


def _rejected(connector: object, error: PayloadRejected) -> web.Response:
    """Platforms retry anything but 2xx for hours (Telegram also holds the chat's later
    updates behind it): they get an empty 2xx. A connector whose caller wants the reason
    (the API channel) sets ``reject_status``."""
    status = getattr(connector, "reject_status", 200)
    if status < 300:
        return web.json_response({}, status=status)
    return error_response(status, error.code, error.message)


def _unavailable() -> web.Response:
    """Not stored, not lost: the platform delivers again (all of them retry 5xx)."""
    return error_response(
        503,
        "temporarily_unavailable",
        "the webhook could not be stored now; retry later",
        **{"Retry-After": str(RETRY_AFTER_S)},
    )
