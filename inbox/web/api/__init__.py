"""``/api/v1``: the operator inbox's REST API, its WebSocket and its OpenAPI document."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web

from inbox.web.api import admin, auth_api, canned, conversations, messages, ws
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
    ws.api,
    openapi_routes,
]


def api_routes() -> list[ApiRoute]:
    """Every registered ``/api/v1`` route (the OpenAPI source and the role-matrix test's)."""
    return [r for m in MODULES for r in m.routes]


def _version() -> str:
    try:
        return version("inbox-hub")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


OPENAPI = web.AppKey("openapi", dict[str, Any])


@openapi_routes.route("GET", "/openapi.json", summary="This document", public=True)
async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(request.app[OPENAPI])


def setup_api(app: web.Application) -> None:
    """Add every API route and the live feed to the app (after the hub's cleanup_ctx)."""
    for module in MODULES:
        app.add_routes(module.table)
    app[OPENAPI] = build_openapi(api_routes(), _version())
    setup_live(
        app,
        lambda a: (
            a[HUB].redis,
            a[HUB].publisher.stream,
            f"{a[HUB].settings.redis_prefix}live",
        ),
    )


__all__ = ["OPENAPI", "api_routes", "setup_api"]
