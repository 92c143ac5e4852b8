"""REST endpoints of the router for managers and admins.

    GET   /api/v1/lines/{line_id}/routing          rules, business hours, time zone
    PATCH /api/v1/lines/{line_id}/routing          change any of them (partial)
    GET   /api/v1/routing/queue?limit=N            conversations waiting for an operator

A manager reaches only the lines of their teams (another line answers 404, like an unknown
id), may not move a line to another team, and sees the queue of their teams; admins reach
everything.
    POST  /api/v1/routing/reconcile                rebuild Redis counters from MongoDB

Claims, transfers, manager assignment, presence and heartbeats are the operator inbox's
routes (``inbox/web/api/conversations.py``, scoped to the manager's teams); they call the
same ``hub.router`` methods.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import ValidationError

from inbox.domain.errors import NotFound, ValidationFailed
from inbox.domain.models import BusinessHours, Line, Role, RoutingRules
from inbox.web.api.scope import Scope, scope_for
from inbox.web.auth import current_operator, requires
from inbox.web.body import read_json
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
    data = await read_json(request)
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


async def managed_line(request: web.Request) -> tuple[Scope, Line]:
    """The line when the caller manages its team; 404 otherwise, like an unknown id."""
    hub = request.app[HUB]
    scope = await scope_for(hub, current_operator(request))
    line_id = request.match_info["line_id"]
    line = await hub.lines.get(line_id)
    if not scope.manages(line.routing.team_id):
        raise NotFound(f"line {line_id} not found", code="line_not_found")
    return scope, line


@routes.get("/api/v1/lines/{line_id}/routing")
@requires(*MANAGERS)
async def get_routing(request: web.Request) -> web.Response:
    _, line = await managed_line(request)
    return web.json_response(routing_view(line))


@routes.patch("/api/v1/lines/{line_id}/routing")
@requires(*MANAGERS)
async def patch_routing(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    scope, line = await managed_line(request)
    updated = patched(line, await _body(request))
    team = updated.routing.team_id
    if team != line.routing.team_id and not scope.manages(team):
        # A manager may not hand their line (and its conversations) to another team.
        if team is None:
            raise ValidationFailed(
                "the line must stay with one of your teams", code="team_required"
            )
        raise NotFound(f"team {team} not found", code="team_not_found")
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
    hub = request.app[HUB]
    scope = await scope_for(hub, current_operator(request))
    if scope.is_admin:
        queue = await hub.router.queue(limit=limit)
    else:
        # The queues of the manager's teams' lines and of the shared lines of no team,
        # narrowed to what they see (one transferred to another team has left it).
        lines = [
            line.id
            for line in await hub.lines.list()
            if line.routing.team_id is None or scope.manages(line.routing.team_id)
        ]
        queued = await hub.conversations.queue(line_ids=lines, limit=limit) if lines else []
        queue = [c for c in queued if scope.can_see(c)]
    return web.json_response({"conversations": [c.model_dump(mode="json") for c in queue]})


@routes.post("/api/v1/routing/reconcile")
@requires(Role.ADMIN)
async def reconcile(request: web.Request) -> web.Response:
    fixed = await request.app[HUB].router.reconcile()
    return web.json_response({"fixed": fixed})
