"""Administration: lines (with routing rules and business hours), operators and teams.

Everything here is admin-only, except the directory (names for the transfer menu, any
role) and the summary report (managers see their teams, admins everything).
"""

from __future__ import annotations

import structlog
from aiohttp import web

from inbox.domain.errors import Conflict, ValidationFailed
from inbox.domain.models import BusinessHours, Operator, Role, RoutingRules, Team
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes, no_content, read_body, respond
from inbox.web.api.schemas import (
    Directory,
    LineIn,
    LineList,
    LinePatch,
    LineView,
    OperatorBrief,
    OperatorIn,
    OperatorList,
    OperatorOut,
    OperatorPatch,
    Summary,
    TeamIn,
    TeamList,
    TeamOut,
)
from inbox.web.auth import SESSION_ID, current_operator
from inbox.web.hub import WebHub as Hub
from inbox.web.keys import HUB

log = structlog.get_logger(__name__)
api = ApiRoutes(tag="admin")
ADMIN = (Role.ADMIN,)


@api.route(
    "GET", "/directory", summary="Active operators and teams (for transfers)", response=Directory
)
async def directory(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    operators = [
        OperatorBrief(id=o.id, name=o.name, role=o.role, teams=o.teams)
        for o in await hub.operators.list()
        if o.active
    ]
    return respond(Directory(operators=operators, teams=await hub.teams.list()))


@api.route(
    "GET",
    "/reports/summary",
    summary="Open conversations by status and assignee",
    roles=(Role.MANAGER, Role.ADMIN),
    response=Summary,
)
async def summary(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    by_status, by_assignee, unassigned = await hub.inbox.summary(scope.mongo_filter())
    return respond(
        Summary(by_status=dict(by_status), by_assignee=dict(by_assignee), unassigned=unassigned)
    )


# ------------------------------------------------------------------ lines


@api.route("GET", "/lines", summary="Every line", roles=ADMIN, response=LineList)
async def list_lines(request: web.Request) -> web.StreamResponse:
    lines = await request.app[HUB].lines.list()
    return respond(LineList(items=[LineView.of(line) for line in lines]))


@api.route(
    "POST",
    "/lines",
    summary="Create a line and register its webhook",
    roles=ADMIN,
    body=LineIn,
    response=LineView,
)
async def create_line(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, LineIn)
    line = await hub.line_admin().create(
        body.kind,
        body.name,
        credentials={k: v.get_secret_value() for k, v in body.credentials.items()},
        settings=body.settings,
        public_url=hub.settings.public_url,
        timezone=body.timezone,
    )
    log.info("line_created", line_id=line.id, kind=line.kind.value)
    return respond(LineView.of(line), status=201)


@api.route("GET", "/lines/{line_id}", summary="One line", roles=ADMIN, response=LineView)
async def get_line(request: web.Request) -> web.StreamResponse:
    return respond(LineView.of(await request.app[HUB].lines.get(request.match_info["line_id"])))


@api.route(
    "PATCH",
    "/lines/{line_id}",
    summary="Change a line's name, settings, CRM rules",
    roles=ADMIN,
    body=LinePatch,
    response=LineView,
)
async def update_line(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, LinePatch)
    line = await hub.lines.get(request.match_info["line_id"])
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if "settings" in changes:
        changes["settings"] = {**line.settings, **(changes["settings"] or {})}
    updated = line.model_copy(update=changes)
    return respond(LineView.of(await hub.line_admin().save(updated)))


@api.route("DELETE", "/lines/{line_id}", summary="Disable a line (history is kept)", roles=ADMIN)
async def disable_line(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    line = await hub.lines.get(request.match_info["line_id"])
    await hub.lines.replace(line.model_copy(update={"enabled": False}))
    return no_content()


@api.route(
    "PUT",
    "/lines/{line_id}/routing",
    summary="Replace a line's routing rules",
    roles=ADMIN,
    body=RoutingRules,
    response=LineView,
)
async def set_routing(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    rules = await read_body(request, RoutingRules)
    line = await hub.lines.get(request.match_info["line_id"])
    updated = line.model_copy(update={"routing": rules})
    return respond(LineView.of(await hub.line_admin().save(updated)))


@api.route(
    "PUT",
    "/lines/{line_id}/business-hours",
    summary="Replace a line's business hours",
    roles=ADMIN,
    body=BusinessHours,
    response=LineView,
)
async def set_hours(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    hours = await read_body(request, BusinessHours)
    line = await hub.lines.get(request.match_info["line_id"])
    updated = line.model_copy(update={"business_hours": hours})
    return respond(LineView.of(await hub.line_admin().save(updated)))


# ------------------------------------------------------------------ operators


async def _team_exists(hub: Hub, team_id: str) -> None:
    known = {t.id for t in await hub.teams.list()}
    if team_id not in known:
        raise ValidationFailed(f"unknown team {team_id}", code="unknown_team")


def _no_self_lockout(
    request: web.Request, operator_id: str, role: Role | None, active: bool | None
) -> None:
    """An admin cannot demote or deactivate themselves (another admin can)."""
    if operator_id != current_operator(request).id:
        return
    if (role is not None and role is not Role.ADMIN) or active is False:
        raise Conflict("you cannot demote or deactivate yourself", code="self_lockout")


@api.route(
    "GET",
    "/operators",
    summary="Operators (managers: those of their teams)",
    roles=(Role.MANAGER, Role.ADMIN),
    response=OperatorList,
)
async def list_operators(request: web.Request) -> web.StreamResponse:
    scope = await caller_scope(request)
    items = await request.app[HUB].operators.list()
    if not scope.is_admin:
        mine = scope.members | {scope.operator.id}
        items = [o for o in items if o.id in mine]
    return respond(OperatorList(items=items))


@api.route(
    "POST",
    "/operators",
    summary="Create an operator account",
    roles=ADMIN,
    body=OperatorIn,
    response=OperatorOut,
)
async def create_operator(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, OperatorIn)
    for team_id in body.teams:
        await _team_exists(hub, team_id)
    fields = body.model_dump(exclude={"password"})
    operator = Operator(**fields, created_at=hub.clock.now())
    password_hash = await hub.passwords.hash(body.password.get_secret_value())
    await hub.operators.add(operator, password_hash)
    log.info("operator_created", new_operator_id=operator.id, role=operator.role.value)
    return respond(OperatorOut(operator=operator), status=201)


@api.route(
    "GET", "/operators/{operator_id}", summary="One operator", roles=ADMIN, response=OperatorOut
)
async def get_operator(request: web.Request) -> web.StreamResponse:
    operator = await request.app[HUB].operators.get(request.match_info["operator_id"])
    return respond(OperatorOut(operator=operator))


@api.route(
    "PATCH",
    "/operators/{operator_id}",
    summary="Change an operator (role, teams...)",
    roles=ADMIN,
    body=OperatorPatch,
    response=OperatorOut,
)
async def update_operator(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, OperatorPatch)
    operator = await hub.operators.get(request.match_info["operator_id"])
    _no_self_lockout(request, operator.id, body.role, body.active)
    for team_id in body.teams or ():
        await _team_exists(hub, team_id)
    changes = body.model_dump(exclude_none=True, exclude={"password"})
    updated = Operator.model_validate({**operator.model_dump(), **changes})
    await hub.operators.replace(updated)
    if body.password is not None:
        password_hash = await hub.passwords.hash(body.password.get_secret_value())
        await hub.operators.set_password_hash(operator.id, password_hash)
    if body.password is not None or body.active is False:
        # Every other credential ends with it: sessions (but the one making the change)
        # and personal API tokens, which would otherwise outlive a leaked password.
        await hub.sessions.revoke_all(operator.id, keep=request.get(SESSION_ID))
        revoked = await hub.tokens.revoke_all(operator.id)
        log.info("operator_credentials_revoked", target_operator_id=operator.id, tokens=revoked)
    return respond(OperatorOut(operator=updated))


@api.route(
    "DELETE",
    "/operators/{operator_id}",
    summary="Deactivate an operator (they can no longer log in)",
    roles=ADMIN,
)
async def deactivate_operator(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    operator = await hub.operators.get(request.match_info["operator_id"])
    _no_self_lockout(request, operator.id, None, False)
    await hub.operators.replace(operator.model_copy(update={"active": False}))
    await hub.sessions.revoke_all(operator.id)
    await hub.tokens.revoke_all(operator.id)
    return no_content()


# ------------------------------------------------------------------ teams


@api.route(
    "GET",
    "/teams",
    summary="Teams (managers: their own)",
    roles=(Role.MANAGER, Role.ADMIN),
    response=TeamList,
)
async def list_teams(request: web.Request) -> web.StreamResponse:
    scope = await caller_scope(request)
    items = await request.app[HUB].teams.list()
    if not scope.is_admin:
        items = [t for t in items if t.id in scope.operator.teams]
    return respond(TeamList(items=items))


@api.route("POST", "/teams", summary="Create a team", roles=ADMIN, body=TeamIn, response=TeamOut)
async def create_team(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, TeamIn)
    team = Team(name=body.name, manager_id=body.manager_id, created_at=hub.clock.now())
    await hub.teams.add(team)
    return respond(TeamOut(team=team), status=201)


@api.route(
    "PATCH",
    "/teams/{team_id}",
    summary="Rename a team or change its manager",
    roles=ADMIN,
    body=TeamIn,
    response=TeamOut,
)
async def update_team(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, TeamIn)
    team = await hub.teams.get(request.match_info["team_id"])
    updated = team.model_copy(update={"name": body.name, "manager_id": body.manager_id})
    return respond(TeamOut(team=await hub.teams.replace(updated)))


@api.route("DELETE", "/teams/{team_id}", summary="Delete a team", roles=ADMIN)
async def delete_team(request: web.Request) -> web.StreamResponse:
    await request.app[HUB].teams.delete(request.match_info["team_id"])
    return no_content()
