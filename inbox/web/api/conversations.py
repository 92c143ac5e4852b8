"""Conversations: the scoped list with tabs, filters, search and counts; one conversation;
assignment (claim, transfer, assign), snooze, resolve, reopen, mark read, the contact card.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import structlog
from aiohttp import web

from inbox.domain.errors import Forbidden
from inbox.domain.models import Conversation, ConversationStatus, Operator, Role
from inbox.domain.web_ports import ConversationFilter
from inbox.web.api.registry import ApiRoutes, read_body, read_query, respond
from inbox.web.api.schemas import (
    AssignIn,
    ContactBrief,
    ContactCard,
    ConversationItem,
    ConversationOut,
    ConversationPage,
    ConversationQuery,
    Counts,
    SnoozeIn,
    TransferIn,
)
from inbox.web.api.scope import (
    Scope,
    actionable_conversation,
    scope_for,
    visible_conversation,
)
from inbox.web.auth import current_operator
from inbox.web.hub import WebHub as Hub
from inbox.web.keys import HUB

log = structlog.get_logger(__name__)
api = ApiRoutes(tag="conversations")


async def caller_scope(request: web.Request) -> Scope:
    return await scope_for(request.app[HUB], current_operator(request))


def tab_filter(tab: str, operator: Operator) -> ConversationFilter:
    if tab == "mine":
        return ConversationFilter(assignee_id=operator.id, active_only=True)
    if tab == "unassigned":
        return ConversationFilter(unassigned=True, active_only=True)
    if tab == "team":
        return ConversationFilter(team_ids=operator.teams, active_only=True)
    if tab == "resolved":
        return ConversationFilter(status=ConversationStatus.RESOLVED)
    return ConversationFilter(active_only=True)


async def items_of(hub: Hub, conversations: list[Conversation]) -> list[ConversationItem]:
    lines = {line.id: line.name for line in await hub.lines.list()}
    contacts = await asyncio.gather(*(hub.contacts.get(c.contact_id) for c in conversations))
    return [
        ConversationItem(
            conversation=c,
            contact=ContactBrief(id=contact.id, name=contact.name),
            line_name=lines.get(c.line_id, ""),
        )
        for c, contact in zip(conversations, contacts, strict=True)
    ]


@api.route(
    "GET",
    "/conversations",
    summary="Conversations in the caller's audience",
    query=ConversationQuery,
    response=ConversationPage,
)
async def list_conversations(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    query = read_query(request, ConversationQuery)
    flt = replace(
        tab_filter(query.tab, scope.operator),
        line_id=query.line_id,
        channel=query.channel,
        waiting_min=query.waiting_min,
        q=query.q,
    )
    if query.status is not None:
        flt = replace(flt, status=query.status)
    if query.team_id is not None:
        flt = replace(flt, team_ids=(query.team_id,))
    if query.assignee_id is not None:
        flt = replace(flt, assignee_id=query.assignee_id, unassigned=False)
    items, cursor = await hub.inbox.list_conversations(
        scope.mongo_filter(), flt, hub.clock.now(), cursor=query.cursor, limit=query.limit
    )
    return respond(ConversationPage(items=await items_of(hub, items), next_cursor=cursor))


@api.route("GET", "/conversations/counts", summary="Open conversations per tab", response=Counts)
async def counts(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    audience = scope.mongo_filter()
    now = hub.clock.now()
    tabs = ("mine", "unassigned", "team", "all")
    values = await asyncio.gather(
        *(hub.inbox.count(audience, tab_filter(t, scope.operator), now) for t in tabs)
    )
    return respond(Counts(**dict(zip(tabs, values, strict=True))))


@api.route(
    "GET", "/conversations/{conversation_id}", summary="One conversation", response=ConversationItem
)
async def get_conversation(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    return respond((await items_of(hub, [conversation]))[0])


@api.route(
    "POST",
    "/conversations/{conversation_id}/claim",
    summary="Take an unassigned conversation",
    response=ConversationOut,
)
async def claim(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    changed = await hub.assignment().claim(conversation, scope.operator.id)
    return respond(ConversationOut(conversation=changed))


@api.route(
    "POST",
    "/conversations/{conversation_id}/transfer",
    summary="Hand a conversation to another operator or team",
    body=TransferIn,
    response=ConversationOut,
)
async def transfer(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    body = await read_body(request, TransferIn)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    if scope.operator.role is Role.OPERATOR and conversation.assignee_id != scope.operator.id:
        raise Forbidden("only the assignee or a manager can transfer", code="not_assignee")
    changed = await hub.assignment().transfer(
        conversation,
        by=scope.operator.id,
        to_operator=body.to_operator,
        to_team=body.to_team,
        note=body.note,
    )
    return respond(ConversationOut(conversation=changed))


@api.route(
    "POST",
    "/conversations/{conversation_id}/assign",
    summary="Assign a conversation to an operator (managers: within their teams)",
    roles=(Role.MANAGER, Role.ADMIN),
    body=AssignIn,
    response=ConversationOut,
)
async def assign(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    body = await read_body(request, AssignIn)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    assignment = hub.assignment()
    await assignment.check_operator(body.operator_id)
    if scope.is_manager and body.operator_id not in scope.members | {scope.operator.id}:
        raise Forbidden("managers assign within their teams", code="outside_team")
    changed = await assignment.assign(
        conversation, body.operator_id, by=scope.operator.id, note=body.note
    )
    return respond(ConversationOut(conversation=changed))


@api.route(
    "POST",
    "/conversations/{conversation_id}/snooze",
    summary="Hide a conversation until a time",
    body=SnoozeIn,
    response=ConversationOut,
)
async def snooze(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    body = await read_body(request, SnoozeIn)
    conversation = await actionable_conversation(hub, scope, request.match_info["conversation_id"])
    changed = await hub.lifecycle().snooze(conversation.id, body.until)
    return respond(ConversationOut(conversation=changed))


@api.route(
    "POST",
    "/conversations/{conversation_id}/resolve",
    summary="Resolve a conversation",
    response=ConversationOut,
)
async def resolve(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await actionable_conversation(hub, scope, request.match_info["conversation_id"])
    changed = await hub.lifecycle().resolve(conversation.id)
    return respond(ConversationOut(conversation=changed))


@api.route(
    "POST",
    "/conversations/{conversation_id}/reopen",
    summary="Reopen a resolved or snoozed conversation",
    response=ConversationOut,
)
async def reopen(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await actionable_conversation(hub, scope, request.match_info["conversation_id"])
    changed = await hub.lifecycle().reopen(conversation.id)
    return respond(ConversationOut(conversation=changed))


@api.route(
    "POST",
    "/conversations/{conversation_id}/read",
    summary="Mark as read",
    response=ConversationOut,
)
async def mark_read(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    changed = await hub.lifecycle().mark_read(conversation.id)
    return respond(ConversationOut(conversation=changed))


@api.route(
    "GET",
    "/conversations/{conversation_id}/contact",
    summary="The contact card: the contact and the CRM's 360-degree view",
    response=ContactCard,
)
async def contact_card(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    contact = await hub.contacts.get(conversation.contact_id)
    overview = await hub.crm.contact_overview(contact.id)
    # The CRM view lists every conversation of the contact: keep only those the caller sees.
    timeline = []
    for item in overview.get("timeline", []):
        other = item.get("conversation") if isinstance(item, dict) else None
        if isinstance(other, dict) and not scope.sees(
            other.get("team_id"), other.get("assignee_id")
        ):
            continue
        timeline.append(item)
    overview = {**overview, "timeline": timeline}
    overview.pop("contact", None)
    return respond(ContactCard(contact=contact, overview=overview))
