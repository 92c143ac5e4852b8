"""``/api/v1/crm/...`` for people and follow-up: tasks, notes, companies, matches and
merges, the 360-degree views, and the external-CRM outbox (managers and admins)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from inbox.domain.errors import NotFound
from inbox.domain.models import Note, OutboxItem, Role
from inbox.web.auth import current_operator, requires
from inbox.web.crm_schema import (
    CompanyIn,
    ContactCompanyIn,
    MatchOut,
    MergeIn,
    NoteIn,
    TaskIn,
    limit_of,
    out,
    read,
)
from inbox.web.crm_scope import CrmGuard, crm_guard
from inbox.web.keys import HUB

routes = web.RouteTableDef()
OUTBOX_PAGE = 200
OUTBOX_SCAN = 2000  # items a manager's outbox list looks through at most


# ---------------------------------------------------------------- tasks and notes


@routes.post("/api/v1/crm/tasks")
@requires()
async def add_task(request: web.Request) -> web.Response:
    body = await read(request, TaskIn)
    me = current_operator(request)
    guard = await crm_guard(request)
    await guard.targets(
        contact_id=body.contact_id,
        company_id=body.company_id,
        lead_id=body.lead_id,
        deal_id=body.deal_id,
        conversation_id=body.conversation_id,
    )
    fields = body.model_dump()
    fields["responsible_id"] = body.responsible_id or me.id
    task = await request.app[HUB].crm_side.tasks.add(**fields, created_by=me.id)
    return out(task, 201)


@routes.get("/api/v1/crm/tasks")
@requires()
async def list_tasks(request: web.Request) -> web.Response:
    """The caller's tasks; managers and admins may ask for someone else's (a manager sees
    only those in their audience)."""
    me = current_operator(request)
    who = request.query.get("responsible_id", me.id)
    if who != me.id and me.role is Role.OPERATOR:
        who = me.id
    include_done = request.query.get("include_done") in ("1", "true")
    if who == me.id:
        return out(await request.app[HUB].crm_side.tasks.for_operator(who, include_done))
    guard = await crm_guard(request)
    tasks = await request.app[HUB].crm_side.stores.tasks.list(
        responsible_id=who,
        include_done=include_done,
        limit=limit_of(request),
        audience=await guard.audience(),
    )
    return out(tasks)


@routes.post("/api/v1/crm/tasks/{task_id}/done")
@requires()
async def complete_task(request: web.Request) -> web.Response:
    await (await crm_guard(request)).task(request.match_info["task_id"], act=True)
    return out(await request.app[HUB].crm_side.tasks.complete(request.match_info["task_id"]))


@routes.post("/api/v1/crm/notes")
@requires()
async def add_note(request: web.Request) -> web.Response:
    body = await read(request, NoteIn)
    await (await crm_guard(request)).targets(
        contact_id=body.contact_id,
        company_id=body.company_id,
        lead_id=body.lead_id,
        deal_id=body.deal_id,
    )
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
    audience = await (await crm_guard(request)).audience()
    companies = request.app[HUB].crm_side.stores.companies
    if audience is None:
        return out(await companies.list(limit_of(request)))
    return out(await companies.list(limit_of(request), audience.company_ids, audience.operator_id))


@routes.post("/api/v1/crm/companies")
@requires()
async def add_company(request: web.Request) -> web.Response:
    """The company with this name; created unless one exists (names match case-insensitively)."""
    body = await read(request, CompanyIn)
    sales = request.app[HUB].crm_side.sales
    among = await (await crm_guard(request)).audience()  # another team's company stays hidden
    company = await sales.company_named(body.name, current_operator(request).id, among=among)
    return out(company, 201)


@routes.put("/api/v1/crm/contacts/{contact_id}/company")
@requires()
async def set_contact_company(request: web.Request) -> web.Response:
    body = await read(request, ContactCompanyIn)
    hub = request.app[HUB]
    contact_id = request.match_info["contact_id"]
    guard = await crm_guard(request)
    await guard.contact(contact_id, act=True)
    if body.company_id is not None:  # linking to a company one cannot see would reveal it
        await guard.company(body.company_id, act=True)
    await hub.crm_side.sales.link_company(contact_id, body.company_id)
    return out(await hub.contacts.get(contact_id))


# ---------------------------------------------------------------- matching and merges


@routes.get("/api/v1/crm/contacts/{contact_id}/matches")
@requires()
async def contact_matches(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    guard = await crm_guard(request)
    contact = await guard.contact(request.match_info["contact_id"])
    found = await hub.crm_side.proposer.candidates(contact)
    # Matches in other audiences stay hidden: their names and phones are not the caller's.
    shown = [(c, r) for c, r in found if await guard.allows(contact_id=c.id)]
    return out([MatchOut(contact=c.model_dump(mode="json"), reasons=r) for c, r in shown])


@routes.get("/api/v1/crm/merge-proposals")
@requires()
async def merge_proposals(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    audience = await (await crm_guard(request)).audience()
    merges = request.app[HUB].crm_side.stores.merges
    if audience is None:
        return out(await merges.proposals(status, limit_of(request)))
    # Indexed on either contact; both must be in the audience to be shown.
    seen = set(audience.contact_ids)
    found = await merges.proposals(status, limit_of(request), audience.contact_ids)
    return out([p for p in found if seen.issuperset(p.contact_ids)])


@routes.post("/api/v1/crm/merge-proposals/{proposal_id}/dismiss")
@requires()
async def dismiss_proposal(request: web.Request) -> web.Response:
    proposal_id = request.match_info["proposal_id"]
    guard = await crm_guard(request)
    pair = proposal_id.split("~")  # a proposal's id is its two contact ids
    if len(pair) != 2 or not all([await guard.allows(contact_id=c, act=True) for c in pair]):
        raise NotFound(f"proposal {proposal_id} not found", code="proposal_not_found")
    await request.app[HUB].crm_side.merger.dismiss(
        request.match_info["proposal_id"], by=current_operator(request).id
    )
    return web.Response(status=204)


@routes.post("/api/v1/crm/merges")
@requires()
async def merge_contacts(request: web.Request) -> web.Response:
    body = await read(request, MergeIn)
    guard = await crm_guard(request)
    await guard.contact(body.source_id, act=True)
    await guard.contact(body.target_id, act=True)
    record = await request.app[HUB].crm_side.merger.merge(
        body.source_id, body.target_id, by=current_operator(request).id
    )
    return out(record, 201)


@routes.post("/api/v1/crm/merges/{merge_id}/undo")
@requires()
async def undo_merge(request: web.Request) -> web.Response:
    await (await crm_guard(request)).merge(request.match_info["merge_id"], act=True)
    record = await request.app[HUB].crm_side.merger.undo(
        request.match_info["merge_id"], by=current_operator(request).id
    )
    return out(record)


# ---------------------------------------------------------------- 360 view


@routes.get("/api/v1/contacts/{contact_id}/overview")
@requires()
async def contact_overview(request: web.Request) -> web.Response:
    guard = await crm_guard(request)
    contact = await guard.contact(request.match_info["contact_id"])
    return out(visible_timeline(guard, await request.app[HUB].crm.contact_overview(contact.id)))


@routes.get("/api/v1/crm/companies/{company_id}/overview")
@requires()
async def company_overview(request: web.Request) -> web.Response:
    guard = await crm_guard(request)
    company = await guard.company(request.match_info["company_id"])
    people = [p.id for p in await guard.people_seen(company.id)]
    view = await request.app[HUB].crm_side.view.company_overview(company.id, people)
    return out(visible_timeline(guard, view))


def visible_timeline(guard: CrmGuard, view: dict[str, Any]) -> dict[str, Any]:
    timeline = view.get("timeline")
    if isinstance(timeline, list):
        view = {**view, "timeline": [i for i in timeline if guard.sees_item(i)]}
    return view


# ---------------------------------------------------------------- external CRM outbox


@routes.get("/api/v1/crm/outbox")
@requires(Role.MANAGER, Role.ADMIN)
async def list_outbox(request: web.Request) -> web.Response:
    """Outbox items, newest change first: a manager sees those of their audience's records
    (found among the newest :data:`OUTBOX_SCAN` items of the status)."""
    status = request.query.get("status", "failed") or None
    limit = limit_of(request)
    guard = await crm_guard(request)
    outbox = request.app[HUB].crm_side.stores.outbox
    if guard.scope.is_admin:
        return out(await outbox.list(status=status, limit=limit))
    shown: list[OutboxItem] = []
    for skip in range(0, OUTBOX_SCAN, OUTBOX_PAGE):
        page = await outbox.list(status=status, limit=OUTBOX_PAGE, skip=skip)
        shown += [i for i in page if await guard.sees_outbox_item(i)]
        if len(shown) >= limit or len(page) < OUTBOX_PAGE:
            break
    return out(shown[:limit])


@routes.post("/api/v1/crm/outbox/{item_id}/retry")
@requires(Role.MANAGER, Role.ADMIN)
async def retry_outbox(request: web.Request) -> web.Response:
    item = await (await crm_guard(request)).outbox_item(request.match_info["item_id"])
    return out(await request.app[HUB].crm_side.drainer.retry(item.id))
