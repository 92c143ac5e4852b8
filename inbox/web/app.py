"""Builds the aiohttp application of the web process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from aiohttp import web

from inbox.settings import Settings
from inbox.web import crm_api, health, routing_api, ui, webhooks
from inbox.web.api import setup_api
from inbox.web.auth import auth_middleware
from inbox.web.hub import WebHub
from inbox.web.keys import HUB
from inbox.web.middleware import errors_to_json, request_context, security_headers

HubFactory = Callable[[Settings], AbstractAsyncContextManager[WebHub]]


def build_app(settings: Settings, hub_factory: HubFactory) -> web.Application:
    """The web application; the hub (``inbox.wiring.open_hub`` in the web process) opens
    on startup and closes on cleanup."""
    app = web.Application(middlewares=[request_context, errors_to_json, auth_middleware])
    app.on_response_prepare.append(security_headers)

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        async with hub_factory(settings) as hub:
            app[HUB] = hub
            yield

    app.cleanup_ctx.append(hub_ctx)
    app.add_routes(health.routes)
    app.add_routes(webhooks.routes)
    app.add_routes(crm_api.routes)
    app.add_routes(routing_api.routes)
    setup_api(app)
    app.add_routes(ui.routes)
    return app
