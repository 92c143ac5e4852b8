"""Every /api/v1 route as every role (and anonymously): the role check answers exactly as
the route's declaration says; the OpenAPI document lists every route."""

from __future__ import annotations

import json
import re

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from inbox.domain.models import CannedResponse, Role, Team
from inbox.web.api import api_routes, app_api_routes
from inbox.web.app import build_app
from inbox.web.auth import requires
from inbox.wiring import Hub
from tests.conftest import existing_hub
from tests.web.api.support import customer_writes, make_operator, make_world

BODIES = {
    "/auth/login": {"login": "x", "password": "y"},
    "/me": {"locale": "en"},
    "/me/presence": {"status": "online"},
    "/me/tokens": {"name": "t"},
    "/messages": {"text": "hi"},
    "/notes": {"text": "note"},
    "/transfer": {"to_team": "TEAM"},
    "/assign": {"operator_id": "OP"},
    "/snooze": {"until": "2030-01-01T00:00:00+00:00"},
    "/canned-responses": {"title": "Hi", "text": "Hello {{contact.name}}", "team_id": "TEAM"},
    "/lines": {"kind": "api", "name": "New line"},
    "/routing": {"strategy": "manual"},
    "/business-hours": {"windows": [{"weekday": 0, "start": "09:00", "end": "18:00"}]},
    "/operators": {"login": "newbie", "name": "New", "password": "long enough pw"},
    "/teams": {"name": "Renamed"},
}


def body_for(path: str, values: dict[str, str]) -> dict[str, object] | None:
    for suffix, body in BODIES.items():
        if path.endswith(suffix) or path.endswith(suffix + "/{line_id}"):
            text = json.dumps(body)
            for key, value in values.items():
                text = text.replace(key, value)
            loaded: dict[str, object] = json.loads(text)
            return loaded
    return None


async def error_code(resp: ClientResponse) -> str | None:
    if resp.status < 400 or resp.content_type != "application/json":
        return None
    return str((await resp.json())["error"]["code"])


async def test_every_route_checks_its_roles(
    client: TestClient, hub: Hub, app: web.Application
) -> None:
    world = await make_world(hub)
    conv = await customer_writes(client, hub, world.line_a, "rm-1", user_id="rm")
    spare = await make_operator(hub, "spare", Role.OPERATOR, (world.team_a.id,))
    spare_team = Team(name="Spare", created_at=hub.clock.now())
    await hub.teams.add(spare_team)
    canned = CannedResponse(
        title="x", text="y", team_id=world.team_a.id, created_at=hub.clock.now()
    )
    await hub.canned.add(canned)
    _, token = await hub.tokens.issue(world.op_a.id, "spare", hub.clock.now())
    path_values = {
        "{conversation_id}": conv,
        "{line_id}": world.line_a.id,
        "{operator_id}": spare.id,
        "{team_id}": spare_team.id,
        "{canned_id}": canned.id,
        "{token_id}": "no-such-token",
        "{file_id}": "no-such-file",
    }
    body_values = {"TEAM": world.team_a.id, "OP": world.op_a.id}
    routes = app_api_routes(app)
    assert len(routes) >= len(api_routes()) >= 40
    people = {Role.OPERATOR: world.op_a, Role.MANAGER: world.manager_a, Role.ADMIN: world.admin}
    checked = 0
    # Destructive admin routes last, so earlier calls still find their objects.
    for route in sorted(routes, key=lambda r: r.method == "DELETE"):
        path = route.path
        for key, value in path_values.items():
            path = path.replace(key, value)
        path = re.sub(r"\{\w+\}", "unknown-id", path)  # other modules' parameters
        body = body_for(route.path, body_values)
        anonymous = await client.request(route.method, path, json=body)
        if route.public:
            assert await error_code(anonymous) != "not_authenticated", route.path
        else:
            assert (anonymous.status, await error_code(anonymous)) == (401, "not_authenticated"), (
                route.method,
                path,
            )
        for role, who in people.items():
            resp = await client.request(route.method, path, json=body, headers=world.h(who))
            code = await error_code(resp)
            allowed = route.public or not route.roles or role in route.roles
            if allowed:
                assert code not in ("forbidden", "not_authenticated"), (route.path, role, code)
            else:
                assert (resp.status, code) == (403, "forbidden"), (route.method, route.path, role)
            checked += 1
    assert checked == 3 * len(routes)
    assert token  # the spare token stayed valid throughout


async def test_every_api_route_declares_roles(app: web.Application) -> None:
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api/") and route.method != "HEAD":
            handler = route.handler
            assert hasattr(handler, "required_roles") or handler.__dict__.get("public"), path


async def test_openapi_covers_every_route_with_schemas(
    client: TestClient, app: web.Application
) -> None:
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    spec = await resp.json()
    assert spec["openapi"].startswith("3.1")
    for route in app_api_routes(app):
        op = spec["paths"][route.path][route.method.lower()]
        assert op["summary"]
        if route.body is not None:
            assert "application/json" in op["requestBody"]["content"]
        if route.response is not None:
            ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1] in spec["components"]["schemas"]
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["security"] == []
    schema = spec["components"]["schemas"]["LoginIn"]
    assert set(schema["required"]) == {"login", "password"}
    assert spec["paths"]["/api/v1/lines"]["get"]["x-roles"] == ["admin"]


async def test_routes_added_by_other_modules_join_openapi_and_role_checks(hub: Hub) -> None:
    """Routing and CRM endpoints come from plain route tables with ``@requires``."""
    extra = web.RouteTableDef()

    @extra.get("/api/v1/routing/rules-check")
    @requires(Role.MANAGER, Role.ADMIN)
    async def rules_check(request: web.Request) -> web.StreamResponse:
        """Check the routing rules."""
        return web.json_response({"ok": True})

    app = build_app(hub.settings, existing_hub(hub))
    app.add_routes(extra)
    world = await make_world(hub)
    async with TestClient(TestServer(app)) as client:
        spec = await (await client.get("/api/v1/openapi.json")).json()
        op = spec["paths"]["/api/v1/routing/rules-check"]["get"]
        assert (op["summary"], op["x-roles"]) == ("Check the routing rules.", ["manager", "admin"])
        resp = await client.get("/api/v1/routing/rules-check", headers=world.h(world.op_a))
        assert resp.status == 403
        resp = await client.get("/api/v1/routing/rules-check", headers=world.h(world.manager_a))
        assert resp.status == 200
    assert ("GET", "/api/v1/routing/rules-check") in {
        (r.method, r.path) for r in app_api_routes(app)
    }
