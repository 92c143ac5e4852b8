"""Liveness (``/healthz``), readiness (``/readyz``) and Prometheus metrics (``/metrics``).

``/healthz`` says only "ok" and is open to all. ``/readyz`` (which backends answer) and
``/metrics`` (traffic by channel and outcome) answer only clients in
``INBOX_PROBES_ALLOWED_FROM`` (loopback by default). A request relayed by a proxy (it
carries ``Forwarded``, ``X-Forwarded-For`` or ``X-Real-IP``) comes from somewhere else than
its socket says: it is refused unless the setting allows every address.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from inbox.domain.errors import Forbidden
from inbox.web.keys import HUB
from inbox.web.report_metrics import COLLECTOR

routes = web.RouteTableDef()
RELAY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _client_allowed(request: web.Request) -> bool:
    networks = [ipaddress.ip_network(n) for n in request.app[HUB].settings.probes_allowed_from]
    if any(n.prefixlen == 0 for n in networks):
        return True
    if any(h in request.headers for h in RELAY_HEADERS) or not request.remote:
        return False
    try:
        address = ipaddress.ip_address(request.remote)
    except ValueError:  # a Unix socket peer has no address
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == n.version and address in n for n in networks)


def _guard(request: web.Request) -> None:
    if not _client_allowed(request):
        raise Forbidden(
            "this endpoint answers only the networks in INBOX_PROBES_ALLOWED_FROM",
            code="probe_forbidden",
        )


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    _guard(request)
    checks = await request.app[HUB].ready()
    ok = all(checks.values())
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    _guard(request)
    hub = request.app[HUB]
    await COLLECTOR.refresh(hub.settings.mongo_db, hub.reporting().gauges)
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
