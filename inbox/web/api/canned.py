"""Canned responses: list (own teams and shared), create and delete (managers for their
teams, admins for all), and render one with its placeholders filled for a conversation.

Placeholders: ``{{contact.name}}``, ``{{contact.first_name}}``, ``{{operator.name}}``,
``{{line.name}}``; unknown ones are left as they are.
"""

from __future__ import annotations

import re

from aiohttp import web

from inbox.domain.errors import Forbidden, NotFound
from inbox.domain.models import CannedResponse, Role
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes, no_content, read_body, respond
from inbox.web.api.schemas import CannedIn, CannedList, CannedOut, RenderedText
from inbox.web.api.scope import Scope, visible_conversation
from inbox.web.keys import HUB

api = ApiRoutes(tag="canned responses")
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def render(template: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _teams_of(scope: Scope) -> list[str | None] | None:
    return None if scope.is_admin else [*scope.operator.teams, None]


def _may_use(scope: Scope, canned: CannedResponse) -> bool:
    return scope.is_admin or canned.team_id is None or canned.team_id in scope.operator.teams


@api.route(
    "GET",
    "/canned-responses",
    summary="Canned responses of own teams and shared ones",
    response=CannedList,
)
async def list_canned(request: web.Request) -> web.StreamResponse:
    scope = await caller_scope(request)
    items = await request.app[HUB].canned.list(_teams_of(scope))
    return respond(CannedList(items=items))


@api.route(
    "POST",
    "/canned-responses",
    summary="Create a canned response",
    roles=(Role.MANAGER, Role.ADMIN),
    body=CannedIn,
    response=CannedOut,
)
async def create_canned(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    body = await read_body(request, CannedIn)
    if not scope.is_admin and (body.team_id is None or body.team_id not in scope.operator.teams):
        raise Forbidden("managers create canned responses for their own teams", code="outside_team")
    canned = CannedResponse(
        **body.model_dump(), created_by=scope.operator.id, created_at=hub.clock.now()
    )
    await hub.canned.add(canned)
    return respond(CannedOut(canned=canned), status=201)


@api.route(
    "DELETE",
    "/canned-responses/{canned_id}",
    summary="Delete a canned response",
    roles=(Role.MANAGER, Role.ADMIN),
)
async def delete_canned(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    canned = await hub.canned.get(request.match_info["canned_id"])
    if not scope.is_admin and canned.team_id not in scope.operator.teams:
        raise NotFound("canned response not found", code="canned_not_found")
    await hub.canned.delete(canned.id)
    return no_content()


@api.route(
    "POST",
    "/conversations/{conversation_id}/canned/{canned_id}",
    summary="A canned response with its placeholders filled for this conversation",
    response=RenderedText,
)
async def render_canned(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    canned = await hub.canned.get(request.match_info["canned_id"])
    if not _may_use(scope, canned):
        raise NotFound("canned response not found", code="canned_not_found")
    contact = await hub.contacts.get(conversation.contact_id)
    line = await hub.lines.get(conversation.line_id)
    values = {
        "contact.name": contact.name,
        "contact.first_name": contact.name.split(" ")[0] if contact.name else "",
        "operator.name": scope.operator.name,
        "line.name": line.name,
    }
    return respond(RenderedText(text=render(canned.text, values)))
