"""``/api/v1/crm/...``: pipelines, leads, deals, tasks, notes, merges, outbox; contact 360.

Request and response bodies are pydantic models so the OpenAPI generator can include them.
Operators work leads, deals, tasks and merges; admins edit pipelines and line rules;
managers and admins see and retry failed external-CRM pushes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inbox.domain.errors import ValidationFailed
from inbox.domain.models import (
    CrmRules,
    LeadStatus,
    Note,
    Pipeline,
    PipelineKind,
    Role,
    Stage,
)
from inbox.web.auth import current_operator, requires
from inbox.web.keys import HUB

routes = web.RouteTableDef()
B = TypeVar("B", bound=BaseModel)


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PipelineIn(Body):
    id: str | None = Field(default=None, min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    stages: tuple[Stage, ...]
    b2b: bool = False


class LeadMoveIn(Body):
    status: LeadStatus


class ConvertIn(Body):
    pipeline_id: str | None = None
    company_name: str | None = Field(default=None, max_length=200)
    company_id: str | None = None
    title: str | None = Field(default=None, max_length=300)
    amount: str | None = None
    currency: str | None = None


class DisqualifyIn(Body):
    reason: str = Field(min_length=1, max_length=1000)


class DealMoveIn(Body):
    stage_id: str
    pipeline_id: str | None = None


class AmountIn(Body):
    amount: str | None
    currency: str | None


class TaskIn(Body):
    title: str = Field(min_length=1, max_length=500)
    due_at: datetime
    responsible_id: str | None = None  # default: the caller
    contact_id: str | None = None
    company_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None
    conversation_id: str | None = None


class NoteIn(Body):
    text: str = Field(min_length=1, max_length=10_000)
    contact_id: str | None = None
    company_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None


class CompanyIn(Body):
    name: str = Field(min_length=1, max_length=200)


class ContactCompanyIn(Body):
    company_id: str | None


class MergeIn(Body):
    source_id: str
    target_id: str


class MatchOut(Body):
    contact: dict[str, Any]
    reasons: list[str]


async def read(request: web.Request, model: type[B]) -> B:
    try:
        return model.model_validate_json(await request.read())
    except ValidationError as e:
        raise ValidationFailed(
            "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()),
            code="invalid_body",
        ) from None


def out(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> web.Response:
    if isinstance(model, BaseModel):
        return web.json_response(model.model_dump(mode="json"), status=status)
    if isinstance(model, list):
        return web.json_response(
            {
                "items": [
                    m.model_dump(mode="json") if isinstance(m, BaseModel) else m for m in model
                ]
            },
            status=status,
        )
    return web.json_response(model, status=status)


def limit_of(request: web.Request) -> int:
    try:
        return max(1, min(500, int(request.query.get("limit", "100"))))
    except ValueError:
        raise ValidationFailed("limit must be a number", code="invalid_query") from None


# ---------------------------------------------------------------- pipelines, line rules


@routes.get("/api/v1/crm/pipelines")
@requires()
async def list_pipelines(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.pipelines.list())


@routes.post("/api/v1/crm/pipelines")
@requires(Role.ADMIN)
async def add_pipeline(request: web.Request) -> web.Response:
    body = await read(request, PipelineIn)
    hub = request.app[HUB]
    fields: dict[str, Any] = body.model_dump(exclude_none=True)
    pipeline = Pipeline(**fields, kind=PipelineKind.DEAL, created_at=hub.clock.now())
    return out(await request.app[HUB].crm_side.pipelines.add(pipeline), 201)


@routes.put("/api/v1/crm/pipelines/{pipeline_id}")
@requires(Role.ADMIN)
async def replace_pipeline(request: web.Request) -> web.Response:
    body = await read(request, PipelineIn)
    side = request.app[HUB].crm_side
    current = await side.pipelines.get(request.match_info["pipeline_id"])
    updated = current.model_copy(update={"name": body.name, "stages": body.stages, "b2b": body.b2b})
    return out(await side.pipelines.replace(Pipeline.model_validate(updated.model_dump())))


@routes.delete("/api/v1/crm/pipelines/{pipeline_id}")
@requires(Role.ADMIN)
async def delete_pipeline(request: web.Request) -> web.Response:
    await request.app[HUB].crm_side.pipelines.delete(request.match_info["pipeline_id"])
    return web.Response(status=204)


@routes.put("/api/v1/crm/lines/{line_id}/rules")
@requires(Role.ADMIN)
async def set_line_rules(request: web.Request) -> web.Response:
    rules = await read(request, CrmRules)
    hub = request.app[HUB]
    line = await hub.lines.get(request.match_info["line_id"])
    if rules.pipeline_id:
        await request.app[HUB].crm_side.pipelines.get(rules.pipeline_id)  # NotFound for a typo
    updated = await hub.lines.replace(line.model_copy(update={"crm": rules}))
    return out(updated.crm)


# ---------------------------------------------------------------- leads


@routes.get("/api/v1/crm/leads")
@requires()
async def list_leads(request: web.Request) -> web.Response:
    q = request.query
    leads = await request.app[HUB].crm_side.stores.leads.list(
        contact_ids=[q["contact_id"]] if "contact_id" in q else None,
        company_id=q.get("company_id"),
        status=q.get("status"),
        responsible_id=q.get("responsible_id"),
        limit=limit_of(request),
    )
    return out(leads)


@routes.get("/api/v1/crm/leads/{lead_id}")
@requires()
async def get_lead(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.stores.leads.get(request.match_info["lead_id"]))


@routes.post("/api/v1/crm/leads/{lead_id}/move")
@requires()
async def move_lead(request: web.Request) -> web.Response:
    body = await read(request, LeadMoveIn)
    lead = await request.app[HUB].crm_side.sales.move_lead(
        request.match_info["lead_id"], body.status, by=current_operator(request).id, via="api"
    )
    return out(lead)


@routes.post("/api/v1/crm/leads/{lead_id}/convert")
@requires()
async def convert_lead(request: web.Request) -> web.Response:
    body = await read(request, ConvertIn)
    lead, deal = await request.app[HUB].crm_side.sales.convert(
        request.match_info["lead_id"],
        by=current_operator(request).id,
        via="api",
        **body.model_dump(),
    )
    return out({"lead": lead.model_dump(mode="json"), "deal": deal.model_dump(mode="json")})


@routes.post("/api/v1/crm/leads/{lead_id}/disqualify")
@requires()
async def disqualify_lead(request: web.Request) -> web.Response:
    body = await read(request, DisqualifyIn)
    lead = await request.app[HUB].crm_side.sales.disqualify(
        request.match_info["lead_id"], body.reason, by=current_operator(request).id, via="api"
    )
    return out(lead)


# ---------------------------------------------------------------- deals


@routes.get("/api/v1/crm/deals")
@requires()
async def list_deals(request: web.Request) -> web.Response:
    q = request.query
    deals = await request.app[HUB].crm_side.stores.deals.list(
        contact_ids=[q["contact_id"]] if "contact_id" in q else None,
        company_id=q.get("company_id"),
        pipeline_id=q.get("pipeline_id"),
        stage_id=q.get("stage_id"),
        responsible_id=q.get("responsible_id"),
        limit=limit_of(request),
    )
    return out(deals)


@routes.get("/api/v1/crm/deals/{deal_id}")
@requires()
async def get_deal(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.stores.deals.get(request.match_info["deal_id"]))


@routes.post("/api/v1/crm/deals/{deal_id}/move")
@requires()
async def move_deal(request: web.Request) -> web.Response:
    body = await read(request, DealMoveIn)
    deal = await request.app[HUB].crm_side.sales.move_deal(
        request.match_info["deal_id"],
        body.stage_id,
        by=current_operator(request).id,
        via="api",
        pipeline_id=body.pipeline_id,
    )
    return out(deal)


@routes.put("/api/v1/crm/deals/{deal_id}/amount")
@requires()
async def set_amount(request: web.Request) -> web.Response:
    body = await read(request, AmountIn)
    deal = await request.app[HUB].crm_side.sales.set_amount(
        request.match_info["deal_id"], body.amount, body.currency
    )
    return out(deal)


# ---------------------------------------------------------------- tasks and notes


@routes.post("/api/v1/crm/tasks")
@requires()
async def add_task(request: web.Request) -> web.Response:
    body = await read(request, TaskIn)
    me = current_operator(request)
    fields = body.model_dump()
    fields["responsible_id"] = body.responsible_id or me.id
    task = await request.app[HUB].crm_side.tasks.add(**fields, created_by=me.id)
    return out(task, 201)


@routes.get("/api/v1/crm/tasks")
@requires()
async def list_tasks(request: web.Request) -> web.Response:
    """The caller's tasks; managers and admins may ask for someone else's."""
    me = current_operator(request)
    who = request.query.get("responsible_id", me.id)
    if who != me.id and me.role is Role.OPERATOR:
        who = me.id
    include_done = request.query.get("include_done") in ("1", "true")
    return out(await request.app[HUB].crm_side.tasks.for_operator(who, include_done))


@routes.post("/api/v1/crm/tasks/{task_id}/done")
@requires()
async def complete_task(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.tasks.complete(request.match_info["task_id"]))


@routes.post("/api/v1/crm/notes")
@requires()
async def add_note(request: web.Request) -> web.Response:
    body = await read(request, NoteIn)
    note = Note(
        **body.model_dump(),
        author_id=current_operator(request).id,
        created_at=request.app[HUB].clock.now(),
    )
    return out(await request.app[HUB].crm_side.sales.add_note(note), 201)


# ---------------------------------------------------------------- companies


@routes.get("/api/v1/crm/companies")
@requires()
async def list_companies(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.stores.companies.list(limit_of(request)))


@routes.post("/api/v1/crm/companies")
@requires()
async def add_company(request: web.Request) -> web.Response:
    """The company with this name; created unless one exists (names match case-insensitively)."""
    body = await read(request, CompanyIn)
    return out(await request.app[HUB].crm_side.sales.company_named(body.name), 201)


@routes.put("/api/v1/crm/contacts/{contact_id}/company")
@requires()
async def set_contact_company(request: web.Request) -> web.Response:
    body = await read(request, ContactCompanyIn)
    hub = request.app[HUB]
    contact_id = request.match_info["contact_id"]
    await hub.contacts.get(contact_id)
    await hub.crm_side.sales.link_company(contact_id, body.company_id)
    return out(await hub.contacts.get(contact_id))


# ---------------------------------------------------------------- matching and merges


@routes.get("/api/v1/crm/contacts/{contact_id}/matches")
@requires()
async def contact_matches(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    contact = await hub.contacts.get(request.match_info["contact_id"])
    found = await request.app[HUB].crm_side.proposer.candidates(contact)
    return out([MatchOut(contact=c.model_dump(mode="json"), reasons=r) for c, r in found])


@routes.get("/api/v1/crm/merge-proposals")
@requires()
async def merge_proposals(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    return out(await request.app[HUB].crm_side.stores.merges.proposals(status, limit_of(request)))


@routes.post("/api/v1/crm/merge-proposals/{proposal_id}/dismiss")
@requires()
async def dismiss_proposal(request: web.Request) -> web.Response:
    await request.app[HUB].crm_side.merger.dismiss(
        request.match_info["proposal_id"], by=current_operator(request).id
    )
    return web.Response(status=204)


@routes.post("/api/v1/crm/merges")
@requires()
async def merge_contacts(request: web.Request) -> web.Response:
    body = await read(request, MergeIn)
    record = await request.app[HUB].crm_side.merger.merge(
        body.source_id, body.target_id, by=current_operator(request).id
    )
    return out(record, 201)


@routes.post("/api/v1/crm/merges/{merge_id}/undo")
@requires()
async def undo_merge(request: web.Request) -> web.Response:
    record = await request.app[HUB].crm_side.merger.undo(
        request.match_info["merge_id"], by=current_operator(request).id
    )
    return out(record)


# ---------------------------------------------------------------- 360 view


@routes.get("/api/v1/contacts/{contact_id}/overview")
@requires()
async def contact_overview(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm.contact_overview(request.match_info["contact_id"]))


@routes.get("/api/v1/crm/companies/{company_id}/overview")
@requires()
async def company_overview(request: web.Request) -> web.Response:
    return out(
        await request.app[HUB].crm_side.view.company_overview(request.match_info["company_id"])
    )


# ---------------------------------------------------------------- external CRM outbox


@routes.get("/api/v1/crm/outbox")
@requires(Role.MANAGER, Role.ADMIN)
async def list_outbox(request: web.Request) -> web.Response:
    status = request.query.get("status", "failed")
    return out(
        await request.app[HUB].crm_side.stores.outbox.list(
            status=status or None, limit=limit_of(request)
        )
    )


@routes.post("/api/v1/crm/outbox/{item_id}/retry")
@requires(Role.MANAGER, Role.ADMIN)
async def retry_outbox(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.drainer.retry(request.match_info["item_id"]))
