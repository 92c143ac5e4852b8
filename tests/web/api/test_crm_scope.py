"""Team scoping of the CRM endpoints: records of other teams' contacts answer 404 and stay
unchanged; same-team managers and responsible operators succeed; lists show only the
caller's audience."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.domain.models import ConversationStatus, CrmCreate, CrmRules, LeadStatus, Line
from inbox.wiring import Hub
from tests.web.api.support import World, customer_writes, make_world


async def crm_rules(hub: Hub, line: Line, **rules: Any) -> None:
    await hub.lines.replace(line.model_copy(update={"crm": CrmRules(**rules)}))


async def lead_of(hub: Hub, conversation_id: str) -> str:
    lead = await hub.crm_side.stores.leads.for_conversation(conversation_id)
    assert lead is not None
    return lead.id


async def status_code(resp: Any) -> tuple[int, str | None]:
    body = await resp.json() if resp.content_type == "application/json" else {}
    return resp.status, (body.get("error") or {}).get("code")


def ids(body: dict[str, Any]) -> set[str]:
    return {item["id"] for item in body["items"]}


@dataclass
class Sales:
    world: World
    conv_a: str
    conv_b: str
    lead_a: str  # team A's customer
    lead_b: str  # team B's customer
    lead_c: str  # team B's customer, op_a responsible (line rule)
    deal_b: str  # converted from a second team B lead, company "Globex"
    contact_b: str
    company_b: str


async def b2b_sales(client: TestClient, hub: Hub) -> Sales:  # type: ignore[type-arg]
    world = await make_world(hub)
    await crm_rules(hub, world.line_a, create=CrmCreate.LEAD, b2b=True)
    await crm_rules(hub, world.line_b, create=CrmCreate.LEAD, b2b=True)
    conv_a = await customer_writes(client, hub, world.line_a, "a-1", user_id="ua")
    conv_b = await customer_writes(client, hub, world.line_b, "b-1", user_id="ub")
    conv_b2 = await customer_writes(client, hub, world.line_b, "b-2", user_id="ub2")
    await crm_rules(hub, world.line_b, create=CrmCreate.LEAD, b2b=True, responsible=world.op_a.id)
    conv_c = await customer_writes(client, hub, world.line_b, "c-1", user_id="uc")
    resp = await client.post(
        f"/api/v1/crm/leads/{await lead_of(hub, conv_b2)}/convert",
        json={"company_name": "Globex"},
        headers=world.h(world.op_b),
    )
    assert resp.status == 200, await resp.text()
    converted = await resp.json()
    contact_b = (await hub.conversations.get(conv_b2)).contact_id
    return Sales(
        world=world,
        conv_a=conv_a,
        conv_b=conv_b,
        lead_a=await lead_of(hub, conv_a),
        lead_b=await lead_of(hub, conv_b),
        lead_c=await lead_of(hub, conv_c),
        deal_b=converted["deal"]["id"],
        contact_b=contact_b,
        company_b=converted["deal"]["company_id"],
    )


async def test_leads_and_deals_of_other_teams_answer_404_and_stay_unchanged(
    client: TestClient, hub: Hub
) -> None:
    s = await b2b_sales(client, hub)
    w = s.world
    lead_b = f"/api/v1/crm/leads/{s.lead_b}"
    deal_b = f"/api/v1/crm/deals/{s.deal_b}"
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{lead_b}/move", {"status": "in_progress"}),
        ("POST", f"{lead_b}/convert", {}),
        ("POST", f"{lead_b}/disqualify", {"reason": "spam"}),
        ("POST", f"{deal_b}/move", {"stage_id": "won"}),
        ("PUT", f"{deal_b}/amount", {"amount": "10", "currency": "EUR"}),
    ]
    before_lead = await hub.crm_side.stores.leads.get(s.lead_b)
    before_deal = await hub.crm_side.stores.deals.get(s.deal_b)
    for who in (w.op_a, w.manager_a):
        assert await status_code(await client.get(lead_b, headers=w.h(who))) == (
            404,
            "lead_not_found",
        )
        assert await status_code(await client.get(deal_b, headers=w.h(who))) == (
            404,
            "deal_not_found",
        )
        for method, path, body in writes:
            resp = await client.request(method, path, json=body, headers=w.h(who))
            assert resp.status == 404, (who.login, path)
    assert await hub.crm_side.stores.leads.get(s.lead_b) == before_lead
    assert await hub.crm_side.stores.deals.get(s.deal_b) == before_deal
    # An unknown id answers exactly like a hidden one.
    unknown = await client.get("/api/v1/crm/leads/no-such-lead", headers=w.h(w.op_a))
    assert await status_code(unknown) == (404, "lead_not_found")

    # Team B's operator and the admin may; so may team A's manager on team A's lead.
    resp = await client.post(f"{lead_b}/move", json={"status": "in_progress"}, headers=w.h(w.op_b))
    assert resp.status == 200
    resp = await client.put(
        f"{deal_b}/amount", json={"amount": "10", "currency": "EUR"}, headers=w.h(w.admin)
    )
    assert (await resp.json())["amount"] == "10.00"
    resp = await client.post(
        f"/api/v1/crm/leads/{s.lead_a}/disqualify",
        json={"reason": "no budget"},
        headers=w.h(w.manager_a),
    )
    assert (await resp.json())["status"] == LeadStatus.DISQUALIFIED.value


async def test_responsible_operator_and_assignment_decide_for_operators(
    client: TestClient, hub: Hub
) -> None:
    s = await b2b_sales(client, hub)
    w = s.world
    # lead_c is a team B customer's, but op_a is its responsible operator.
    resp = await client.get(f"/api/v1/crm/leads/{s.lead_c}", headers=w.h(w.op_a))
    assert resp.status == 200
    resp = await client.post(
        f"/api/v1/crm/leads/{s.lead_c}/move", json={"status": "in_progress"}, headers=w.h(w.op_a)
    )
    assert (await resp.json())["status"] == "in_progress"
    resp = await client.get(f"/api/v1/crm/leads/{s.lead_c}", headers=w.h(w.manager_a))
    assert resp.status == 404  # responsibility is personal, not the team's

    # Once a teammate takes team A's conversation, op_a no longer sees its lead; the
    # teammate and the team's manager still do.
    await hub.router.claim(s.conv_a, w.op_a2.id)
    path = f"/api/v1/crm/leads/{s.lead_a}"
    assert (await client.get(path, headers=w.h(w.op_a))).status == 404
    resp = await client.post(f"{path}/move", json={"status": "in_progress"}, headers=w.h(w.op_a))
    assert resp.status == 404
    assert (await hub.crm_side.stores.leads.get(s.lead_a)).status is LeadStatus.NEW
    assert (await client.get(path, headers=w.h(w.op_a2))).status == 200
    resp = await client.post(
        f"{path}/move", json={"status": "in_progress"}, headers=w.h(w.manager_a)
    )
    assert resp.status == 200


async def test_lists_show_only_the_callers_audience(client: TestClient, hub: Hub) -> None:
    s = await b2b_sales(client, hub)
    w = s.world

    async def listed(path: str, who: Any) -> set[str]:
        resp = await client.get(path, headers=w.h(who))
        assert resp.status == 200
        return ids(await resp.json())

    leads = "/api/v1/crm/leads"
    every_lead = await listed(leads, w.admin)
    assert {s.lead_a, s.lead_b, s.lead_c} <= every_lead
    assert len(every_lead) == 4
    assert await listed(leads, w.op_a) == {s.lead_a, s.lead_c}  # own team + responsible
    assert await listed(leads, w.manager_a) == {s.lead_a}
    assert s.lead_b in await listed(leads, w.op_b)
    assert s.lead_a not in await listed(leads, w.op_b)
    # Filters still apply inside the audience.
    assert await listed(f"{leads}?status=new&responsible_id={w.op_a.id}", w.op_a) == {s.lead_c}

    deals = "/api/v1/crm/deals"
    assert await listed(deals, w.admin) == {s.deal_b}
    assert await listed(deals, w.op_b) == {s.deal_b}
    assert await listed(deals, w.op_a) == set()
    assert await listed(deals, w.manager_a) == set()

    companies = "/api/v1/crm/companies"
    assert await listed(companies, w.op_b) == {s.company_b}
    assert await listed(companies, w.admin) == {s.company_b}
    assert await listed(companies, w.op_a) == set()
    # A company created by name belongs to its creator until people are linked to it.
    resp = await client.post(companies, json={"name": "Acme"}, headers=w.h(w.op_a))
    acme = (await resp.json())["id"]
    assert await listed(companies, w.op_a) == {acme}
    assert await listed(companies, w.op_b) == {s.company_b}
    overview = f"/api/v1/crm/companies/{acme}/overview"
    assert (await client.get(overview, headers=w.h(w.op_a))).status == 200
    assert (await client.get(overview, headers=w.h(w.op_b))).status == 404


async def test_overviews_tasks_and_notes_across_teams(client: TestClient, hub: Hub) -> None:
    s = await b2b_sales(client, hub)
    w = s.world
    overview = f"/api/v1/contacts/{s.contact_b}/overview"
    company = f"/api/v1/crm/companies/{s.company_b}/overview"
    for who in (w.op_a, w.manager_a):
        assert await status_code(await client.get(overview, headers=w.h(who))) == (
            404,
            "contact_not_found",
        )
        assert await status_code(await client.get(company, headers=w.h(who))) == (
            404,
            "company_not_found",
        )
    resp = await client.get(overview, headers=w.h(w.op_b))
    assert resp.status == 200
    assert (await resp.json())["contact"]["id"] == s.contact_b
    assert (await client.get(company, headers=w.h(w.op_b))).status == 200

    task = {"title": "Call back", "due_at": "2030-01-01T10:00:00+00:00", "deal_id": s.deal_b}
    resp = await client.post("/api/v1/crm/tasks", json=task, headers=w.h(w.op_b))
    assert resp.status == 201
    task_id = (await resp.json())["id"]
    for who in (w.op_a, w.manager_a):
        resp = await client.post(f"/api/v1/crm/tasks/{task_id}/done", headers=w.h(who))
        assert await status_code(resp) == (404, "task_not_found")
        resp = await client.post("/api/v1/crm/tasks", json=task, headers=w.h(who))
        assert resp.status == 404
        for target in ({"contact_id": s.contact_b}, {"deal_id": s.deal_b}, {"lead_id": s.lead_b}):
            resp = await client.post(
                "/api/v1/crm/notes", json={"text": "peek", **target}, headers=w.h(who)
            )
            assert resp.status == 404, target
        on_conversation = {**task, "deal_id": None, "conversation_id": s.conv_b}
        resp = await client.post("/api/v1/crm/tasks", json=on_conversation, headers=w.h(who))
        assert await status_code(resp) == (404, "conversation_not_found")
    assert not (await hub.crm_side.tasks.get(task_id)).done
    notes = await hub.crm_side.stores.notes.list(contact_ids=[s.contact_b])
    assert notes == []
    tasks = await hub.crm_side.stores.tasks.list(include_done=True)
    assert [t.id for t in tasks] == [task_id]

    # A manager asking for another team's operator's tasks sees none of them; the admin does.
    path = f"/api/v1/crm/tasks?responsible_id={w.op_b.id}"
    assert ids(await (await client.get(path, headers=w.h(w.manager_a))).json()) == set()
    assert ids(await (await client.get(path, headers=w.h(w.admin))).json()) == {task_id}

    resp = await client.post(f"/api/v1/crm/tasks/{task_id}/done", headers=w.h(w.op_b))
    assert (await resp.json())["done"] is True
    resp = await client.post(
        "/api/v1/crm/notes", json={"text": "ok", "lead_id": s.lead_a}, headers=w.h(w.manager_a)
    )
    assert resp.status == 201


async def test_merges_stay_within_the_callers_audience(client: TestClient, hub: Hub) -> None:
    w = await make_world(hub)

    async def writes(line: Line, msg: str, user: str) -> str:
        conv = await customer_writes(
            client, hub, line, msg, user={"id": user, "name": "Ann", "phone": "+49 151 777"}
        )
        return (await hub.conversations.get(conv)).contact_id

    a1 = await writes(w.line_a, "m-1", "a1")
    b1 = await writes(w.line_b, "m-2", "b1")
    a2 = await writes(w.line_a, "m-3", "a2")
    # Three proposals (every pair shares the phone); op_a sees the team A pair only.
    resp = await client.get("/api/v1/crm/merge-proposals", headers=w.h(w.admin))
    assert len((await resp.json())["items"]) == 3
    resp = await client.get("/api/v1/crm/merge-proposals", headers=w.h(w.op_a))
    [proposal] = (await resp.json())["items"]
    assert sorted(proposal["contact_ids"]) == sorted([a1, a2])
    resp = await client.get("/api/v1/crm/merge-proposals", headers=w.h(w.op_b))
    assert (await resp.json())["items"] == []
    resp = await client.get(f"/api/v1/crm/contacts/{a1}/matches", headers=w.h(w.op_a))
    assert [m["contact"]["id"] for m in (await resp.json())["items"]] == [a2]
    resp = await client.get(f"/api/v1/crm/contacts/{b1}/matches", headers=w.h(w.op_a))
    assert resp.status == 404

    # Cross-team merges and dismissals answer 404 and change nothing.
    for who in (w.op_a, w.manager_a):
        resp = await client.post(
            "/api/v1/crm/merges", json={"source_id": b1, "target_id": a1}, headers=w.h(who)
        )
        assert await status_code(resp) == (404, "contact_not_found")
        pair = "~".join(sorted([a1, b1]))
        resp = await client.post(f"/api/v1/crm/merge-proposals/{pair}/dismiss", headers=w.h(who))
        assert resp.status == 404
    assert (await hub.contacts.get(b1)).merged_into is None
    assert len(await hub.crm_side.stores.merges.proposals("open")) == 3

    # The team's manager merges the team's pair; team B cannot undo it, the manager can.
    [open_a2] = await hub.conversations.list(contact_id=a2)
    await hub.conversations.set_status(open_a2.id, ConversationStatus.RESOLVED, hub.clock.now())
    resp = await client.post(
        "/api/v1/crm/merges", json={"source_id": a2, "target_id": a1}, headers=w.h(w.manager_a)
    )
    assert resp.status == 201
    merge_id = (await resp.json())["id"]
    resp = await client.post(f"/api/v1/crm/merges/{merge_id}/undo", headers=w.h(w.op_b))
    assert await status_code(resp) == (404, "merge_not_found")
    assert (await hub.contacts.get(a2)).merged_into == a1
    resp = await client.post(f"/api/v1/crm/merges/{merge_id}/undo", headers=w.h(w.manager_a))
    assert resp.status == 200
    assert (await hub.contacts.get(a2)).merged_into is None
