"""Admin CRUD of lines (routing, business hours), operators and teams; secrets never leak."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.web.api.support import customer_writes, login, make_world


async def test_line_crud_hides_credentials(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    admin = world.h(world.admin)
    resp = await client.post(
        "/api/v1/lines",
        json={"kind": "api", "name": "Partner API", "credentials": {"secret": "s3cr3t-value"}},
        headers=admin,
    )
    assert resp.status == 201
    created = await resp.json()
    assert created["credential_names"] == ["secret"]
    assert "s3cr3t-value" not in await resp.text()
    line_id = created["line"]["id"]
    one = await (await client.get(f"/api/v1/lines/{line_id}", headers=admin)).json()
    assert (one["line"]["name"], one["credential_names"]) == ("Partner API", ["secret"])
    listed = await client.get("/api/v1/lines", headers=admin)
    assert "s3cr3t-value" not in await listed.text()
    resp = await client.patch(
        f"/api/v1/lines/{line_id}",
        json={"name": "Renamed", "settings": {"callback_url": "http://x.test/cb"}},
        headers=admin,
    )
    assert (await resp.json())["line"]["name"] == "Renamed"
    resp = await client.put(
        f"/api/v1/lines/{line_id}/routing",
        json={"strategy": "round_robin", "team_id": world.team_b.id, "max_hops": 2},
        headers=admin,
    )
    assert (await resp.json())["line"]["routing"]["team_id"] == world.team_b.id
    resp = await client.put(
        f"/api/v1/lines/{line_id}/routing", json={"team_id": "no-such-team"}, headers=admin
    )
    assert resp.status == 422
    resp = await client.put(
        f"/api/v1/lines/{line_id}/business-hours",
        json={"windows": [{"weekday": 0, "start": "09:00", "end": "18:00"}]},
        headers=admin,
    )
    assert (await resp.json())["line"]["business_hours"]["windows"][0]["start"] == "09:00"
    resp = await client.put(
        f"/api/v1/lines/{line_id}/business-hours",
        json={"windows": [{"weekday": 9, "start": "9", "end": "18:00"}]},
        headers=admin,
    )
    assert resp.status == 422
    stored = await hub.lines.get(line_id)
    assert stored.secret("secret") == "s3cr3t-value"  # kept through every change
    assert (await client.delete(f"/api/v1/lines/{line_id}", headers=admin)).status == 204
    assert (await hub.lines.get(line_id)).enabled is False


async def test_operator_and_team_crud(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    admin = world.h(world.admin)
    resp = await client.post("/api/v1/teams", json={"name": "Wholesale"}, headers=admin)
    team_id = (await resp.json())["team"]["id"]
    resp = await client.post(
        "/api/v1/operators",
        json={
            "login": "olena",
            "name": "Olena",
            "password": "long password 1",
            "teams": [team_id],
            "locale": "uk",
        },
        headers=admin,
    )
    assert resp.status == 201
    olena = (await resp.json())["operator"]
    assert "password" not in str(olena)
    fetched = await (await client.get(f"/api/v1/operators/{olena['id']}", headers=admin)).json()
    assert fetched["operator"]["teams"] == [team_id]
    listed = await (await client.get("/api/v1/operators", headers=admin)).json()
    assert "olena" in [o["login"] for o in listed["items"]]
    teams = await (await client.get("/api/v1/teams", headers=admin)).json()
    assert "Wholesale" in [t["name"] for t in teams["items"]]
    resp = await client.post(
        "/api/v1/operators",
        json={"login": "olena", "name": "Again", "password": "long password 1"},
        headers=admin,
    )
    assert resp.status == 409
    resp = await client.post(
        "/api/v1/operators",
        json={"login": "x", "name": "X", "password": "long password 1", "teams": ["nope"]},
        headers=admin,
    )
    assert resp.status == 422
    assert await login(client, "olena", "long password 1")
    client.session.cookie_jar.clear()
    resp = await client.patch(
        f"/api/v1/operators/{olena['id']}",
        json={"role": "manager", "password": "new password 22"},
        headers=admin,
    )
    assert (await resp.json())["operator"]["role"] == "manager"
    assert await login(client, "olena", "new password 22")
    client.session.cookie_jar.clear()
    assert (await client.delete(f"/api/v1/operators/{olena['id']}", headers=admin)).status == 204
    resp = await client.post(
        "/api/v1/auth/login", json={"login": "olena", "password": "new password 22"}
    )
    assert resp.status == 401
    resp = await client.patch(f"/api/v1/teams/{team_id}", json={"name": "Retail"}, headers=admin)
    assert (await resp.json())["team"]["name"] == "Retail"
    directory = await (await client.get("/api/v1/directory", headers=world.h(world.op_a))).json()
    assert "Retail" in [t["name"] for t in directory["teams"]]
    assert "olena" not in [o["name"].lower() for o in directory["operators"]]
    assert (await client.delete(f"/api/v1/teams/{team_id}", headers=admin)).status == 204
    assert (await client.delete(f"/api/v1/teams/{team_id}", headers=admin)).status == 404


async def test_summary_report_is_scoped(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    await customer_writes(client, hub, world.line_a, "r-1", user_id="a")
    await customer_writes(client, hub, world.line_b, "r-2", user_id="b")
    mine = await (
        await client.get("/api/v1/reports/summary", headers=world.h(world.manager_a))
    ).json()
    assert mine == {"by_status": {"open": 1}, "by_assignee": {}, "unassigned": 1}
    everything = await (
        await client.get("/api/v1/reports/summary", headers=world.h(world.admin))
    ).json()
    assert everything["unassigned"] == 2


async def test_password_change_ends_sessions_and_admins_cannot_lock_themselves_out(
    client: TestClient, hub: Hub
) -> None:
    world = await make_world(hub)
    admin = world.h(world.admin)
    await login(client, world.op_a.login)
    assert (await client.get("/api/v1/me")).status == 200
    resp = await client.patch(
        f"/api/v1/operators/{world.op_a.id}", json={"password": "brand new pass"}, headers=admin
    )
    assert resp.status == 200
    assert (await client.get("/api/v1/me")).status == 401  # the old session is gone
    for body in ({"role": "operator"}, {"active": False}):
        resp = await client.patch(f"/api/v1/operators/{world.admin.id}", json=body, headers=admin)
        assert resp.status == 409, body
        assert (await resp.json())["error"]["code"] == "self_lockout"
    assert (await client.delete(f"/api/v1/operators/{world.admin.id}", headers=admin)).status == 409
    assert (await hub.operators.get(world.admin.id)).active
