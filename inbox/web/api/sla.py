"""SLA policies (admins set them, managers read them) and a conversation's SLA clocks:
time left or overdue by, and the warnings and breaches recorded for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from inbox.domain.errors import NotFound
from inbox.domain.models import Role
from inbox.services.sla.policy import SlaPolicy
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes, Body, no_content, read_body, read_query, respond
from inbox.web.api.scope import visible_conversation
from inbox.web.keys import HUB

api = ApiRoutes(tag="sla")
ADMIN = (Role.ADMIN,)
MANAGERS = (Role.MANAGER, Role.ADMIN)


class PolicyList(Body):
    items: list[SlaPolicy]


class PolicyRef(Body):
    id: str = Field(min_length=1, max_length=64)


class ClockOut(Body):
    metric: str
    since: datetime
    due_at: datetime
    warn_at: datetime
    level: str
    left_s: float  # negative: overdue by


class RecordOut(Body):
    metric: str
    level: str
    since: datetime
    due_at: datetime
    at: datetime


class ConversationSla(Body):
    clocks: list[ClockOut]
    records: list[RecordOut]


def _policy(doc: dict[str, Any]) -> SlaPolicy:
    return SlaPolicy.model_validate({("id" if k == "_id" else k): v for k, v in doc.items()})


@api.route(
    "GET",
    "/sla/policies",
    summary="SLA policies of every line",
    roles=MANAGERS,
    response=PolicyList,
)
async def list_policies(request: web.Request) -> web.StreamResponse:
    docs = await request.app[HUB].reporting().sla.policy_docs()
    return respond(PolicyList(items=[_policy(d) for d in docs]))


@api.route(
    "PUT",
    "/sla/policies",
    summary="Create or replace an SLA policy (by id) for a line and priority",
    roles=ADMIN,
    body=SlaPolicy,
    response=SlaPolicy,
)
async def put_policy(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    policy = await read_body(request, SlaPolicy)
    await hub.lines.get(policy.line_id)  # 404 for an unknown line
    await hub.reporting().sla.put_policy({"_id": policy.id, **policy.model_dump(exclude={"id"})})
    return respond(policy)


@api.route(
    "DELETE", "/sla/policies", summary="Delete an SLA policy (?id=)", roles=ADMIN, query=PolicyRef
)
async def delete_policy(request: web.Request) -> web.StreamResponse:
    ref = read_query(request, PolicyRef)
    if not await request.app[HUB].reporting().sla.delete_policy(ref.id):
        raise NotFound(f"policy {ref.id} not found", code="policy_not_found")
    return no_content()


@api.route(
    "GET",
    "/conversations/{conversation_id}/sla",
    summary="The conversation's SLA clocks (time left or overdue by) and its records",
    response=ConversationSla,
)
async def conversation_sla(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    conversation = await visible_conversation(hub, scope, request.match_info["conversation_id"])
    reporting = hub.reporting()
    row = await reporting.refresher.refresh(conversation.id)
    states = await reporting.monitor.states(row) if row is not None else []
    records = await reporting.sla.events(conversation.id)
    return respond(
        ConversationSla(
            clocks=[ClockOut(**s.as_json()) for s in states],
            records=[RecordOut(**{k: r[k] for k in RecordOut.model_fields}) for r in records],
        )
    )
