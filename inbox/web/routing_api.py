"""REST endpoints of the router for managers and admins.

    GET   /api/v1/lines/{line_id}/routing          rules, business hours, time zone
    PATCH /api/v1/lines/{line_id}/routing          change any of them (partial)
    GET   /api/v1/routing/queue?limit=N            conversations waiting for an operator
    POST  /api/v1/routing/reconcile                rebuild Redis counters from MongoDB

Claims, transfers, manager assignment, presence and heartbeats are the operator inbox's
routes (``inbox/web/api/conversations.py``, scoped to the manager's teams); they call the
same ``hub.router`` methods.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import ValidationError

from inbox.domain.errors import ValidationFailed
from inbox.domain.models import BusinessHours, Line, Role, RoutingRules
from inbox.web.auth import requires
from inbox.web.keys import HUB

routes = web.RouteTableDef()
MANAGERS = (Role.MANAGER, Role.ADMIN)


def routing_view(line: Line) -> dict[str, Any]:
    return {
        "line_id": line.id,
        "routing": line.routing.model_dump(mode="json"),
        "business_hours": line.business_hours.model_dump(mode="json"),
        "timezone": line.timezone,
    }


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValidationFailed("the body must be JSON", code="bad_json") from e
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", code="bad_json")
    return data


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(x) for x in err.get("loc", ()))
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def patched(line: Line, body: dict[str, Any]) -> Line:
    """The line with a partial routing change applied and validated as a whole."""
    unknown = set(body) - {"routing", "business_hours", "timezone"}
    if unknown:
        raise ValidationFailed(f"unknown fields: {', '.join(sorted(unknown))}")
    for key in ("routing", "business_hours"):
        if not isinstance(body.get(key) or {}, dict):
            raise ValidationFailed(f"{key} must be an object", code="invalid_routing")
    try:
        routing = RoutingRules.model_validate(
            {**line.routing.model_dump(), **(body.get("routing") or {})}
        )
        hours = line.business_hours
        if "business_hours" in body:
            hours = BusinessHours.model_validate(
                {**hours.model_dump(), **(body["business_hours"] or {})}
            )
    except ValidationError as e:
        raise ValidationFailed(_first_error(e), code="invalid_routing") from e
    timezone = body.get("timezone", line.timezone)
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValidationFailed(f"unknown time zone {timezone!r}", code="bad_timezone") from e
    return line.model_copy(
        update={"routing": routing, "business_hours": hours, "timezone": str(timezone)}
    )


@routes.get("/api/v1/lines/{line_id}/routing")
@requires(*MANAGERS)
async def get_routing(request: web.Request) -> web.Response:
    line = await request.app[HUB].lines.get(request.match_info["line_id"])
    return web.json_response(routing_view(line))


@routes.patch("/api/v1/lines/{line_id}/routing")
@requires(*MANAGERS)
async def patch_routing(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    line = await hub.lines.get(request.match_info["line_id"])
    updated = patched(line, await _body(request))
    team = updated.routing.team_id
    if team and team != line.routing.team_id:
        await hub.teams.get(team)  # 404 for an unknown team
    if updated != line:
        updated = await hub.line_admin().save(updated)
    return web.json_response(routing_view(updated))


@routes.get("/api/v1/routing/queue")
@requires(*MANAGERS)
async def get_queue(request: web.Request) -> web.Response:
    try:
        limit = max(1, min(500, int(request.query.get("limit", "100"))))
    except ValueError as e:
        raise ValidationFailed("limit must be a number", code="bad_limit") from e
    queue = await request.app[HUB].router.queue(limit=limit)
    return web.json_response({"conversations": [c.model_dump(mode="json") for c in queue]})


@routes.post("/api/v1/routing/reconcile")
@requires(Role.ADMIN)
async def reconcile(request: web.Request) -> web.Response:
    fixed = await request.app[HUB].router.reconcile()
    return web.json_response({"fixed": fixed})
