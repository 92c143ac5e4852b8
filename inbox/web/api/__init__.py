"""``/api/v1``: the operator inbox's REST API, its WebSocket and its OpenAPI document."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web

from inbox.web.api import (
    admin,
    auth_api,
    canned,
    conversations,
    live_board,
    messages,
    reports,
    sla,
    ws,
)
from inbox.web.api.openapi import build_openapi
from inbox.web.api.registry import ApiRoute, ApiRoutes
from inbox.web.keys import HUB
from inbox.web.live import setup_live

openapi_routes = ApiRoutes(tag="meta")
MODULES: list[ApiRoutes] = [
    auth_api.api,
    conversations.api,
    messages.api,
    canned.api,
    admin.api,
    reports.api,
    live_board.api,
    sla.api,
    ws.api,
    openapi_routes,
]


def api_routes() -> list[ApiRoute]:
    """Every route declared through this package's registry."""
    return [r for m in MODULES for r in m.routes]


def app_api_routes(app: web.Application) -> list[ApiRoute]:
    """Every ``/api/`` route the app serves: the registry's, plus routes other modules add
    with a plain route table and ``@requires`` (e.g. routing or CRM endpoints), described
    from the handler's ``required_roles`` and docstring. The OpenAPI document and the
    role-matrix test both use this list, so no route escapes either."""
    known = {(r.method, r.path) for r in api_routes()}
    found = list(api_routes())
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if not path.startswith("/api/") or route.method == "HEAD" or (route.method, path) in known:
            continue
        handler: Any = route.handler
        doc = (handler.__doc__ or "").strip().splitlines()
        found.append(
            ApiRoute(
                method=route.method,
                path=path,
                summary=doc[0] if doc else handler.__name__,
                tag=handler.__module__.rsplit(".", 1)[-1],
                roles=tuple(handler.__dict__.get("required_roles", ())),
                public=bool(handler.__dict__.get("public", False)),
                body=None,
                query=None,
                response=None,
                multipart=False,
                handler=handler,
            )
        )
    return found


def _version() -> str:
    try:
        return version("inbox-hub")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


OPENAPI = web.AppKey("openapi", dict[str, Any])


@openapi_routes.route("GET", "/openapi.json", summary="This document", public=True)
async def openapi(request: web.Request) -> web.StreamResponse:
    spec = request.app[OPENAPI]
    if not spec:  # built on first use, when every module has added its routes
        spec.update(build_openapi(app_api_routes(request.app), _version()))
    return web.json_response(spec)


def setup_api(app: web.Application) -> None:
    """Add every API route and the live feed to the app (after the hub's cleanup_ctx)."""
    for module in MODULES:
        app.add_routes(module.table)
    app[OPENAPI] = {}
    setup_live(app, lambda a: a[HUB].live_source())


__all__ = ["OPENAPI", "api_routes", "app_api_routes", "setup_api"]
