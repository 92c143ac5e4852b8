"""CRM records reached through a relation stay in their audience (issue 18, item 1).

A company groups contacts of possibly several teams. Seeing a company must never mean
seeing its other people or their leads, deals, tasks and notes; a name lookup must not hand
out another team's company, and linking one's own record to a record one cannot see is
refused with the same 404 as an unknown id.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from inbox.domain.models import Note
from inbox.wiring import Hub
from tests.web.api.test_crm_scope import b2b_sales, status_code


async def own_contact(hub: Hub, conversation_id: str) -> str:
    return (await hub.conversations.get(conversation_id)).contact_id


async def test_a_company_name_of_another_team_is_not_handed_out(
    client: TestClient, hub: Hub
) -> None:
    s = await b2b_sales(client, hub)
    w = s.world
    mine = await own_contact(hub, s.conv_a)
    resp = await client.post("/api/v1/crm/companies", json={"name": "globex"}, headers=w.h(w.op_a))
    assert resp.status == 201
    assert (await resp.json())["id"] != s.company_b  # team A gets a Globex of its own
    # Team B still finds its own Globex by name.
    resp = await client.post("/api/v1/crm/companies", json={"name": "Globex"}, headers=w.h(w.op_b))
    assert (await resp.json())["id"] == s.company_b

    # Linking one's own contact (or converting one's own lead) to team B's company: 404.
    for who in (w.op_a, w.manager_a):
        resp = await client.put(
            f"/api/v1/crm/contacts/{mine}/company",
            json={"company_id": s.company_b},
            headers=w.h(who),
        )
        assert await status_code(resp) == (404, "company_not_found"), who.login
        resp = await client.post(
            f"/api/v1/crm/leads/{s.lead_a}/convert",
            json={"company_id": s.company_b},
            headers=w.h(who),
        )
        assert await status_code(resp) == (404, "company_not_found"), who.login
    assert (await hub.contacts.get(mine)).company_id is None
    people = await hub.crm_side.stores.crm_contacts.by_company(s.company_b)
    assert [p.id for p in people] == [s.contact_b]
    # Converting with a name makes the caller's own company, never team B's.
    resp = await client.post(
        f"/api/v1/crm/leads/{s.lead_a}/convert",
        json={"company_name": "Globex"},
        headers=w.h(w.op_a),
    )
    assert resp.status == 200
    assert (await resp.json())["deal"]["company_id"] not in (None, s.company_b)


async def test_a_shared_company_shows_only_the_callers_people_and_records(
    client: TestClient, hub: Hub
) -> None:
    """Even when an admin links team A's contact to team B's company, team A sees the
    company but none of team B's people, leads, deals, tasks or notes."""
    s = await b2b_sales(client, hub)
    w = s.world
    mine = await own_contact(hub, s.conv_a)
    resp = await client.put(
        f"/api/v1/crm/contacts/{mine}/company",
        json={"company_id": s.company_b},
        headers=w.h(w.admin),
    )
    assert resp.status == 200
    now = hub.clock.now()
    secret = Note(text="B's secret", contact_id=s.contact_b, created_at=now)
    await hub.crm_side.stores.notes.add(secret)
    on_company = Note(text="about Globex", company_id=s.company_b, created_at=now)
    await hub.crm_side.stores.notes.add(on_company)
    task = {"title": "Call", "due_at": "2030-01-01T10:00:00+00:00", "deal_id": s.deal_b}
    resp = await client.post("/api/v1/crm/tasks", json=task, headers=w.h(w.op_b))
    task_b = (await resp.json())["id"]
    deal_b = f"/api/v1/crm/deals/{s.deal_b}"
    deal_lead = (await hub.crm_side.stores.deals.get(s.deal_b)).lead_id
    before = await hub.crm_side.stores.deals.get(s.deal_b)

    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", deal_b, None),
        ("GET", f"/api/v1/crm/leads/{deal_lead}", None),
        ("PUT", f"{deal_b}/amount", {"amount": "1", "currency": "EUR"}),
        ("POST", f"{deal_b}/move", {"stage_id": "lost"}),
        ("POST", "/api/v1/crm/notes", {"text": "x", "deal_id": s.deal_b}),
        ("POST", f"/api/v1/crm/tasks/{task_b}/done", None),
        ("GET", f"/api/v1/contacts/{s.contact_b}/overview", None),
    ]
    for who in (w.op_a, w.manager_a):
        for method, path, body in writes:
            resp = await client.request(method, path, json=body, headers=w.h(who))
            assert resp.status == 404, (who.login, method, path, resp.status)
        for listing in ("/api/v1/crm/deals", "/api/v1/crm/leads"):
            resp = await client.get(listing, headers=w.h(who))
            listed = {i["id"] for i in (await resp.json())["items"]}
            assert not {s.deal_b, deal_lead} & listed, (who.login, listing)
        resp = await client.get(f"/api/v1/crm/tasks?responsible_id={w.op_b.id}", headers=w.h(who))
        assert task_b not in {i["id"] for i in (await resp.json())["items"]}

        resp = await client.get(f"/api/v1/crm/companies/{s.company_b}/overview", headers=w.h(who))
        assert resp.status == 200  # one of its people is the caller's
        view = await resp.json()
        assert [p["id"] for p in view["contacts"]] == [mine], who.login
        shown = {(i["type"], i[i["type"]]["id"]) for i in view["timeline"]}
        assert ("deal", s.deal_b) not in shown
        assert ("note", secret.id) not in shown
        assert ("task", task_b) not in shown
        assert ("note", on_company.id) in shown  # the company's own notes are shared
        assert not [
            i for i in view["timeline"] if i["type"] == "lead" and i["lead"]["id"] == deal_lead
        ]
    after = await hub.crm_side.stores.deals.get(s.deal_b)
    assert after == before
    assert not (await hub.crm_side.tasks.get(task_b)).done
    # Team B still sees all of its own.
    resp = await client.get(f"/api/v1/crm/companies/{s.company_b}/overview", headers=w.h(w.op_b))
    view = await resp.json()
    assert [p["id"] for p in view["contacts"]] == [s.contact_b]
    assert ("deal", s.deal_b) in {(i["type"], i[i["type"]]["id"]) for i in view["timeline"]}
    resp = await client.get(f"/api/v1/crm/companies/{s.company_b}/overview", headers=w.h(w.admin))
    assert len((await resp.json())["contacts"]) == 2


async def test_a_record_one_is_responsible_for_opens_nothing_else(
    client: TestClient, hub: Hub
) -> None:
    """Responsibility for team B's lead or task shows that record, not its contact, deal,
    company or the contact's other records."""
    s = await b2b_sales(client, hub)
    w = s.world
    lead_c = await hub.crm_side.stores.leads.get(s.lead_c)  # op_a is responsible
    task = {
        "title": "Ask op_a",
        "due_at": "2030-01-01T10:00:00+00:00",
        "deal_id": s.deal_b,
        "responsible_id": w.op_a.id,
    }
    resp = await client.post("/api/v1/crm/tasks", json=task, headers=w.h(w.op_b))
    task_id = (await resp.json())["id"]
    resp = await client.get("/api/v1/crm/tasks", headers=w.h(w.op_a))
    assert task_id in {t["id"] for t in (await resp.json())["items"]}
    assert (await client.get(f"/api/v1/crm/leads/{s.lead_c}", headers=w.h(w.op_a))).status == 200

    hidden: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/v1/contacts/{lead_c.contact_id}/overview", None),
        ("GET", f"/api/v1/crm/contacts/{lead_c.contact_id}/matches", None),
        ("PUT", f"/api/v1/crm/contacts/{lead_c.contact_id}/company", {"company_id": None}),
        ("GET", f"/api/v1/crm/deals/{s.deal_b}", None),
        ("GET", f"/api/v1/contacts/{s.contact_b}/overview", None),
        ("GET", f"/api/v1/crm/companies/{s.company_b}/overview", None),
        ("POST", "/api/v1/crm/notes", {"text": "x", "deal_id": s.deal_b}),
        ("POST", "/api/v1/crm/notes", {"text": "x", "contact_id": lead_c.contact_id}),
    ]
    for method, path, body in hidden:
        resp = await client.request(method, path, json=body, headers=w.h(w.op_a))
        assert resp.status == 404, (method, path, await resp.text())
    # Converting the lead they are responsible for links the caller's own company only.
    resp = await client.post(
        f"/api/v1/crm/leads/{s.lead_c}/convert",
        json={"company_id": s.company_b},
        headers=w.h(w.op_a),
    )
    assert await status_code(resp) == (404, "company_not_found")
    resp = await client.post(
        f"/api/v1/crm/leads/{s.lead_c}/convert",
        json={"company_name": "Globex"},
        headers=w.h(w.op_a),
    )
    assert (await resp.json())["deal"]["company_id"] != s.company_b
    resp = await client.post(f"/api/v1/crm/tasks/{task_id}/done", headers=w.h(w.op_a))
    assert (await resp.json())["done"] is True
