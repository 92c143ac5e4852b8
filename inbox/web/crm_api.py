"""``/api/v1/crm/...``: pipelines and line rules (admins), leads and deals (operators).

Request and response bodies are pydantic models (``inbox.web.crm_schema``) so the OpenAPI
generator can include them. The people side (tasks, notes, companies, merges, 360 views,
outbox) is in ``inbox.web.crm_people``; :data:`routes` holds both.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.models import CrmRules, Pipeline, PipelineKind, Role
from inbox.web import crm_people
from inbox.web.auth import current_operator, requires
from inbox.web.crm_schema import (
    AmountIn,
    ConvertIn,
    DealMoveIn,
    DisqualifyIn,
    LeadMoveIn,
    PipelineIn,
    limit_of,
    out,
    read,
)
from inbox.web.crm_scope import crm_guard
from inbox.web.keys import HUB

_routes = web.RouteTableDef()


# ---------------------------------------------------------------- pipelines, line rules


@_routes.get("/api/v1/crm/pipelines")
@requires()
async def list_pipelines(request: web.Request) -> web.Response:
    return out(await request.app[HUB].crm_side.pipelines.list())


@_routes.post("/api/v1/crm/pipelines")
@requires(Role.ADMIN)
async def add_pipeline(request: web.Request) -> web.Response:
    body = await read(request, PipelineIn)
    hub = request.app[HUB]
    fields: dict[str, Any] = body.model_dump(exclude_none=True)
    pipeline = Pipeline(**fields, kind=PipelineKind.DEAL, created_at=hub.clock.now())
    return out(await request.app[HUB].crm_side.pipelines.add(pipeline), 201)


@_routes.put("/api/v1/crm/pipelines/{pipeline_id}")
@requires(Role.ADMIN)
async def replace_pipeline(request: web.Request) -> web.Response:
    body = await read(request, PipelineIn)
    side = request.app[HUB].crm_side
    current = await side.pipelines.get(request.match_info["pipeline_id"])
    updated = current.model_copy(update={"name": body.name, "stages": body.stages, "b2b": body.b2b})
    return out(await side.pipelines.replace(Pipeline.model_validate(updated.model_dump())))


@_routes.delete("/api/v1/crm/pipelines/{pipeline_id}")
@requires(Role.ADMIN)
async def delete_pipeline(request: web.Request) -> web.Response:
    await request.app[HUB].crm_side.pipelines.delete(request.match_info["pipeline_id"])
    return web.Response(status=204)


@_routes.put("/api/v1/crm/lines/{line_id}/rules")
@requires(Role.ADMIN)
async def set_line_rules(request: web.Request) -> web.Response:
    rules = await read(request, CrmRules)
    hub = request.app[HUB]
    line = await hub.lines.get(request.match_info["line_id"])
    if rules.pipeline_id:
        await request.app[HUB].crm_side.pipelines.get(rules.pipeline_id)  # NotFound for a typo
    updated = await hub.line_admin().save(line.model_copy(update={"crm": rules}))
    return out(updated.crm)


# ---------------------------------------------------------------- leads


@_routes.get("/api/v1/crm/leads")
@requires()
async def list_leads(request: web.Request) -> web.Response:
    q = request.query
    guard = await crm_guard(request)
    leads = await request.app[HUB].crm_side.stores.leads.list(
        contact_ids=[q["contact_id"]] if "contact_id" in q else None,
        company_id=q.get("company_id"),
        status=q.get("status"),
        responsible_id=q.get("responsible_id"),
        limit=limit_of(request),
        audience=await guard.audience(),
    )
    return out(leads)


@_routes.get("/api/v1/crm/leads/{lead_id}")
@requires()
async def get_lead(request: web.Request) -> web.Response:
    guard = await crm_guard(request)
    return out(await guard.lead(request.match_info["lead_id"]))


@_routes.post("/api/v1/crm/leads/{lead_id}/move")
@requires()
async def move_lead(request: web.Request) -> web.Response:
    body = await read(request, LeadMoveIn)
    await (await crm_guard(request)).lead(request.match_info["lead_id"], act=True)
    lead = await request.app[HUB].crm_side.sales.move_lead(
        request.match_info["lead_id"], body.status, by=current_operator(request).id, via="api"
    )
    return out(lead)


@_routes.post("/api/v1/crm/leads/{lead_id}/convert")
@requires()
async def convert_lead(request: web.Request) -> web.Response:
    body = await read(request, ConvertIn)
    guard = await crm_guard(request)
    await guard.lead(request.match_info["lead_id"], act=True)
    if body.company_id is not None:  # the company the deal links to must be the caller's
        await guard.company(body.company_id, act=True)
    lead, deal = await request.app[HUB].crm_side.sales.convert(
        request.match_info["lead_id"],
        by=current_operator(request).id,
        via="api",
        among=await guard.audience(),
        **body.model_dump(),
    )
    return out({"lead": lead.model_dump(mode="json"), "deal": deal.model_dump(mode="json")})


@_routes.post("/api/v1/crm/leads/{lead_id}/disqualify")
@requires()
async def disqualify_lead(request: web.Request) -> web.Response:
    body = await read(request, DisqualifyIn)
    await (await crm_guard(request)).lead(request.match_info["lead_id"], act=True)
    lead = await request.app[HUB].crm_side.sales.disqualify(
        request.match_info["lead_id"], body.reason, by=current_operator(request).id, via="api"
    )
    return out(lead)


# ---------------------------------------------------------------- deals


@_routes.get("/api/v1/crm/deals")
@requires()
async def list_deals(request: web.Request) -> web.Response:
    q = request.query
    guard = await crm_guard(request)
    deals = await request.app[HUB].crm_side.stores.deals.list(
        contact_ids=[q["contact_id"]] if "contact_id" in q else None,
        company_id=q.get("company_id"),
        pipeline_id=q.get("pipeline_id"),
        stage_id=q.get("stage_id"),
        responsible_id=q.get("responsible_id"),
        limit=limit_of(request),
        audience=await guard.audience(),
    )
    return out(deals)


@_routes.get("/api/v1/crm/deals/{deal_id}")
@requires()
async def get_deal(request: web.Request) -> web.Response:
    guard = await crm_guard(request)
    return out(await guard.deal(request.match_info["deal_id"]))


@_routes.post("/api/v1/crm/deals/{deal_id}/move")
@requires()
async def move_deal(request: web.Request) -> web.Response:
    body = await read(request, DealMoveIn)
    await (await crm_guard(request)).deal(request.match_info["deal_id"], act=True)
    deal = await request.app[HUB].crm_side.sales.move_deal(
        request.match_info["deal_id"],
        body.stage_id,
        by=current_operator(request).id,
        via="api",
        pipeline_id=body.pipeline_id,
    )
    return out(deal)


@_routes.put("/api/v1/crm/deals/{deal_id}/amount")
@requires()
async def set_amount(request: web.Request) -> web.Response:
    body = await read(request, AmountIn)
    await (await crm_guard(request)).deal(request.match_info["deal_id"], act=True)
    deal = await request.app[HUB].crm_side.sales.set_amount(
        request.match_info["deal_id"], body.amount, body.currency
    )
    return out(deal)


routes = [*_routes, *crm_people.routes]
