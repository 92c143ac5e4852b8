"""Pipelines are data: seeded defaults, admin CRUD, per-line rules through the API."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.domain.models import Role
from inbox.wiring import Hub
from tests.helpers import api_body, make_line, operator_with_token, post_api

STAGES = [
    {"id": "new", "name": "New", "order": 0},
    {"id": "fitting", "name": "Fitting", "order": 1},
    {"id": "won", "name": "Won", "order": 2, "terminal": True, "won": True},
    {"id": "lost", "name": "Lost", "order": 3, "terminal": True},
]


async def test_defaults_are_seeded_once(hub: Hub) -> None:
    assert await hub.crm_side.pipelines.seed_defaults() == 0  # open_hub seeded them
    pipelines = {p.id: p for p in await hub.crm_side.pipelines.list()}
    assert [s.id for s in pipelines["b2c"].stages] == [
        "new_order",
        "payment",
        "shipping",
        "won",
        "lost",
    ]
    assert len(pipelines["b2b"].stages) == 8
    assert [s.id for s in pipelines["leads"].stages] == [
        "new",
        "in_progress",
        "qualified",
        "disqualified",
    ]


async def test_admin_edits_pipelines_and_line_rules(client: TestClient, hub: Hub) -> None:
    _, admin = await operator_with_token(hub, "root", Role.ADMIN)
    _, operator = await operator_with_token(hub, "op")
    body = {"id": "tailor", "name": "Tailoring", "stages": STAGES}
    assert (await client.post("/api/v1/crm/pipelines", json=body, headers=operator)).status == 403
    resp = await client.post("/api/v1/crm/pipelines", json=body, headers=admin)
    assert resp.status == 201
    assert (await client.post("/api/v1/crm/pipelines", json=body, headers=admin)).status == 409
    bad = {"name": "No end", "stages": STAGES[:2]}
    resp = await client.post("/api/v1/crm/pipelines", json=bad, headers=admin)
    assert (resp.status, (await resp.json())["error"]["code"]) == (422, "invalid_pipeline")

    line = await make_line(hub)
    resp = await client.put(
        f"/api/v1/crm/lines/{line.id}/rules",
        json={"create": "deal", "pipeline_id": "tailor"},
        headers=admin,
    )
    assert resp.status == 200
    await post_api(client, line, api_body("m-1"))
    await hub.drain_background()
    [deal] = await hub.crm_side.stores.deals.list()
    assert (deal.pipeline_id, deal.stage_id) == ("tailor", "new")

    # A stage that still holds deals cannot be removed; the pipeline cannot be deleted.
    resp = await client.put(
        "/api/v1/crm/pipelines/tailor",
        json={"name": "Tailoring", "stages": STAGES[1:]},
        headers=admin,
    )
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "stage_in_use")
    resp = await client.delete("/api/v1/crm/pipelines/tailor", headers=admin)
    assert resp.status == 409
    renamed = [STAGES[0], {**STAGES[1], "name": "Measuring"}, *STAGES[2:]]
    resp = await client.put(
        "/api/v1/crm/pipelines/tailor",
        json={"name": "Tailoring", "stages": renamed},
        headers=admin,
    )
    assert (await resp.json())["stages"][1]["name"] == "Measuring"
    listed = await (await client.get("/api/v1/crm/pipelines", headers=operator)).json()
    assert "tailor" in {p["id"] for p in listed["items"]}


async def test_crm_routes_need_a_login(client: TestClient, hub: Hub) -> None:
    for path in ("/api/v1/crm/pipelines", "/api/v1/crm/leads", "/api/v1/crm/tasks"):
        resp = await client.get(path)
        assert resp.status == 401, path


async def test_every_crm_route_states_who_may_call_it(client: TestClient) -> None:
    app = client.server.app  # type: ignore[union-attr]
    crm_routes = [
        r
        for r in app.router.routes()
        if (r.resource and "/crm/" in r.resource.canonical)
        or (r.resource and r.resource.canonical.endswith("/overview"))
    ]
    assert len(crm_routes) >= 30
    for route in crm_routes:
        assert hasattr(route.handler, "required_roles"), route.resource.canonical
