"""Every /api/v1 route as operator, manager and admin of team A against team B's objects.

Driven by the app's route registry (:func:`inbox.web.api.app_api_routes`): each path
parameter must have a team-B object in :data:`team_b_values`, and each route without one
must be classified in :data:`OWN` or :data:`ATTACKS`, so a new route cannot escape. Team
A's operator and manager get 404 (like an unknown id) for every team-B object, 403 where
their role is not allowed, and no answer of theirs contains the id of a team-B record they
did not name; team B's records stay unchanged. The admin reaches everything. Then an admin
links a team-A contact to team B's company and the CRM routes are probed again: the company
becomes visible to team A, none of team B's people, leads, deals, tasks or notes do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.domain.models import CannedResponse, ConversationStatus, Operator, OutboxItem
from inbox.web.api import app_api_routes
from inbox.web.api.registry import ApiRoute
from inbox.wiring import Hub
from tests.web.api.support import customer_writes
from tests.web.api.test_crm_scope import Sales, b2b_sales
from tests.web.api.test_messages import upload
from tests.web.api.test_role_matrix import body_for

Client = TestClient  # type: ignore[type-arg]

# Routes that name no object: the caller's own things, lists, or global configuration.
OWN = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("POST", "/api/v1/me/presence"),
    ("GET", "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"),
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/counts"),
    ("GET", "/api/v1/canned-responses"),
    ("GET", "/api/v1/directory"),
    ("GET", "/api/v1/reports/summary"),
    ("GET", "/api/v1/reports/metrics"),
    ("GET", "/api/v1/reports/metrics.csv"),
    ("GET", "/api/v1/reports/operators.csv"),
    ("GET", "/api/v1/reports/conversations"),
    ("GET", "/api/v1/reports/conversations.csv"),
    ("GET", "/api/v1/sla/policies"),
    ("GET", "/api/v1/reports/live"),
    ("GET", "/api/v1/reports/heatmap.csv"),
    ("PUT", "/api/v1/sla/policies"),
    ("DELETE", "/api/v1/sla/policies"),
    ("GET", "/api/v1/lines"),
    ("POST", "/api/v1/lines"),
    ("GET", "/api/v1/operators"),
    ("POST", "/api/v1/operators"),
    ("GET", "/api/v1/teams"),
    ("POST", "/api/v1/teams"),
    ("GET", "/api/v1/ws"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/crm/pipelines"),
    ("POST", "/api/v1/crm/pipelines"),
    ("GET", "/api/v1/crm/leads"),
    ("GET", "/api/v1/crm/deals"),
    ("GET", "/api/v1/crm/tasks"),
    ("GET", "/api/v1/crm/companies"),
    ("GET", "/api/v1/crm/merge-proposals"),
    ("GET", "/api/v1/crm/outbox"),
    ("GET", "/api/v1/routing/queue"),
    ("POST", "/api/v1/routing/reconcile"),
}
# Routes without a path parameter whose body points at team B: (body, status for team A).
ATTACKS: dict[tuple[str, str], tuple[dict[str, Any], int]] = {
    ("POST", "/api/v1/canned-responses"): ({"title": "x", "text": "y", "team_id": "TEAM_B"}, 403),
    ("POST", "/api/v1/crm/tasks"): (
        {"title": "peek", "due_at": "2030-01-01T10:00:00+00:00", "deal_id": "DEAL_B"},
        404,
    ),
    ("POST", "/api/v1/crm/notes"): ({"text": "peek", "lead_id": "LEAD_B"}, 404),
    ("POST", "/api/v1/crm/merges"): ({"source_id": "CONTACT_B", "target_id": "CONTACT_A"}, 404),
    ("POST", "/api/v1/crm/companies"): ({"name": "Globex"}, 201),  # one of the caller's own
}
# Bodies of routes with a path parameter, valid so the audience check is what answers.
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/crm/leads/{lead_id}/move": {"status": "in_progress"},
    "/api/v1/crm/leads/{lead_id}/convert": {},
    "/api/v1/crm/leads/{lead_id}/disqualify": {"reason": "spam"},
    "/api/v1/crm/deals/{deal_id}/move": {"stage_id": "lost"},
    "/api/v1/crm/deals/{deal_id}/amount": {"amount": "1", "currency": "EUR"},
    "/api/v1/crm/contacts/{contact_id}/company": {"company_id": None},
    "/api/v1/lines/{line_id}/routing": {"timezone": "Europe/Kyiv"},
    "/api/v1/crm/lines/{line_id}/rules": {"create": "lead"},
    "/api/v1/crm/pipelines/{pipeline_id}": {"name": "P", "stages": [{"id": "s", "name": "S"}]},
}
NO_PLAIN_GET = {"/api/v1/ws"}  # needs a WebSocket handshake
# The admin is global, except for another operator's personal API token.
ADMIN_404 = {("DELETE", "/api/v1/me/tokens/{token_id}")}


@dataclass
class TeamB:
    sales: Sales
    values: dict[str, str]  # path parameter -> team B's object
    secrets: dict[str, str]  # ids of team B's records, by name
    placeholders: dict[str, str]
    company_shared: bool = False  # team A's contact was linked to team B's company


async def team_b_values(client: Client, hub: Hub) -> TeamB:
    s = await b2b_sales(client, hub)
    w = s.world
    hb = w.h(w.op_b)
    task = {"title": "Call", "due_at": "2030-01-01T10:00:00+00:00", "deal_id": s.deal_b}
    task_b = (await (await client.post("/api/v1/crm/tasks", json=task, headers=hb)).json())["id"]
    note = {"text": "B's secret", "contact_id": s.contact_b}
    note_b = (await (await client.post("/api/v1/crm/notes", json=note, headers=hb)).json())["id"]
    resp = await client.post(
        f"/api/v1/conversations/{s.conv_b}/messages",
        data=upload("prices", b"%PDF-1.4 tiny", "p.pdf", "application/pdf"),
        headers=hb,
    )
    file_b = (await resp.json())["message"]["attachments"][0]["file_id"]
    canned = CannedResponse(title="b", text="b", team_id=w.team_b.id, created_at=hub.clock.now())
    await hub.canned.add(canned)
    token_b, _ = await hub.tokens.issue(w.op_b.id, "b", hub.clock.now())
    # Two team B customers sharing a phone: a proposal, merged by team B's operator.
    twins = []
    for n in (1, 2):
        conv = await customer_writes(
            client, hub, w.line_b, f"t-{n}", user={"id": f"t{n}", "name": "T", "phone": "+3805"}
        )
        twins.append((await hub.conversations.get(conv)).contact_id)
        await hub.conversations.set_status(conv, ConversationStatus.RESOLVED, hub.clock.now())
    merge = {"source_id": twins[1], "target_id": twins[0]}
    resp = await client.post("/api/v1/crm/merges", json=merge, headers=hb)
    assert resp.status == 201, await resp.text()
    merge_b = (await resp.json())["id"]
    now = hub.clock.now()
    outbox_b = f"test:lead:{s.lead_b}:create"
    await hub.crm_side.stores.outbox.enqueue(
        OutboxItem(
            id=outbox_b,
            system="test",
            entity="lead",
            entity_id=s.lead_b,
            action="create",
            status="failed",
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    contact_b1 = (await hub.conversations.get(s.conv_b)).contact_id
    values = {
        "conversation_id": s.conv_b,
        "contact_id": s.contact_b,
        "lead_id": s.lead_b,
        "deal_id": s.deal_b,
        "task_id": task_b,
        "company_id": s.company_b,
        "merge_id": merge_b,
        "proposal_id": "~".join(sorted(twins)),
        "item_id": outbox_b,
        "file_id": file_b,
        "canned_id": canned.id,
        "token_id": token_b,
        "line_id": w.line_b.id,
        "operator_id": w.op_b.id,
        "team_id": w.team_b.id,
        "pipeline_id": "b2b",  # pipelines are global (admins only)
    }
    secrets = {
        "conversation": s.conv_b,
        "contact": s.contact_b,
        "contact_b1": contact_b1,
        "lead": s.lead_b,
        "deal": s.deal_b,
        "task": task_b,
        "note": note_b,
        "company": s.company_b,
        "merge": merge_b,
        "twin": twins[1],
        "file": file_b,
        "canned": canned.id,
        "outbox": outbox_b,
    }
    placeholders = {
        "TEAM_B": w.team_b.id,
        "DEAL_B": s.deal_b,
        "LEAD_B": s.lead_b,
        "CONTACT_B": s.contact_b,
        "CONTACT_A": (await hub.conversations.get(s.conv_a)).contact_id,
    }
    return TeamB(sales=s, values=values, secrets=secrets, placeholders=placeholders)


def params_of(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def filled(text: Any, values: dict[str, str]) -> Any:
    if isinstance(text, dict):
        return {k: filled(v, values) for k, v in text.items()}
    return values.get(text, text) if isinstance(text, str) else text


def request_of(route: ApiRoute, b: TeamB) -> tuple[str, dict[str, Any] | None]:
    path = route.path
    for name in params_of(path):
        path = path.replace("{" + name + "}", b.values[name])
    if (route.method, route.path) in ATTACKS:
        return path, filled(ATTACKS[route.method, route.path][0], b.placeholders)
    if route.path in BODIES:
        return path, BODIES[route.path]
    w = b.sales.world
    return path, body_for(route.path, {"TEAM": w.team_a.id, "OP": w.op_a.id})


async def probe(client: Client, b: TeamB, who: Operator, routes: list[ApiRoute]) -> int:
    """Team A's ``who`` on every route against team B: 403 by role, else 404 for a team-B
    object, else an answer that names no team-B record; returns how many were checked."""
    w = b.sales.world
    role = who.role
    checked = 0
    for route in routes:
        if route.public:
            continue
        path, body = request_of(route, b)
        resp = await client.request(route.method, path, json=body, headers=w.h(who))
        text = await resp.text()
        where = (role.value, route.method, route.path, resp.status, text[:200])
        assert resp.status < 500, where
        said = path + json.dumps(body)  # an id the caller named may come back in a 404
        for what, secret in b.secrets.items():
            assert secret in said or secret not in text, (*where, what)
        allowed = not route.roles or role in route.roles
        objects = [p for p in params_of(route.path) if p != "pipeline_id"]
        if not allowed:
            assert resp.status == 403, where
        elif objects == ["company_id"] and b.company_shared:
            assert resp.status == 200, where  # the company linked to team A's contact
        elif objects:
            assert resp.status == 404, where
            assert (await resp.json())["error"]["code"].endswith("not_found"), where
        elif (route.method, route.path) in ATTACKS:
            assert resp.status == ATTACKS[route.method, route.path][1], where
        else:
            assert (route.method, route.path) in OWN, f"classify {route.method} {route.path}"
            # A list must really answer, or its leak check above would prove nothing.
            assert resp.status < 400 or route.path in NO_PLAIN_GET, where
        checked += 1
    return checked


async def snapshot(hub: Hub, b: TeamB) -> list[Any]:
    side = hub.crm_side
    v = b.values
    return [
        await side.stores.leads.get(v["lead_id"]),
        await side.stores.deals.get(v["deal_id"]),
        await side.tasks.get(v["task_id"]),
        await hub.contacts.get(v["contact_id"]),
        await hub.conversations.get(v["conversation_id"]),
        await hub.lines.get(v["line_id"]),
        await side.stores.outbox.get(v["item_id"]),
        await hub.contacts.get(b.secrets["twin"]),
        [p.id for p in await side.stores.crm_contacts.by_company(v["company_id"])],
    ]


async def test_team_a_reaches_nothing_of_team_b_on_any_route(
    client: Client, hub: Hub, app: Any
) -> None:
    b = await team_b_values(client, hub)
    w = b.sales.world
    routes = app_api_routes(app)
    for route in routes:
        for name in params_of(route.path):
            assert name in b.values, f"{route.path}: give {name} a team-B object"
        if not params_of(route.path):
            assert (route.method, route.path) in OWN | set(ATTACKS), route.path
    before = await snapshot(hub, b)
    checked = 0
    for who in (w.op_a, w.manager_a):
        checked += await probe(client, b, who, routes)
    assert checked == 2 * len([r for r in routes if not r.public])
    # The lists that named nothing of team B's do show team A's own.
    for who in (w.op_a, w.manager_a):
        resp = await client.get("/api/v1/crm/leads", headers=w.h(who))
        assert b.sales.lead_a in {i["id"] for i in (await resp.json())["items"]}
    assert await snapshot(hub, b) == before

    # A company shared with team A (an admin linked team A's contact to it) shows team A
    # the company, and still nothing else of team B's.
    mine = b.placeholders["CONTACT_A"]
    await hub.crm_side.sales.link_company(mine, b.values["company_id"])
    shared = TeamB(
        sales=b.sales,
        values=b.values,
        secrets={k: v for k, v in b.secrets.items() if k != "company"},
        placeholders=b.placeholders,
        company_shared=True,
    )
    crm = [r for r in routes if "/crm/" in r.path or "/contacts/" in r.path]
    for who in (w.op_a, w.manager_a):
        await probe(client, shared, who, crm)
    after = await snapshot(hub, b)
    assert after[:-1] == before[:-1]

    # The admin reaches every team-B object (destructive routes last).
    for route in sorted(routes, key=lambda r: r.method == "DELETE"):
        if route.public or not params_of(route.path):
            continue
        path, body = request_of(route, b)
        resp = await client.request(route.method, path, json=body, headers=w.h(w.admin))
        where = (route.method, route.path, resp.status, (await resp.text())[:200])
        assert resp.status < 500, where
        if (route.method, route.path) in ADMIN_404:
            assert resp.status == 404, where
        else:
            assert resp.status not in (403, 404), where
