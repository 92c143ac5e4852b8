"""The router's REST endpoints: managers configure lines and assign; operators may not."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.domain.models import Presence, Role, RoutingStrategy
from inbox.wiring import Hub
from tests.helpers import operator_with_token
from tests.routing.support import add_team, customer_writes, routed_line

Client = TestClient  # type: ignore[type-arg]


async def test_managers_read_and_patch_routing(client: Client, hub: Hub) -> None:
    # Managers configure the lines of their teams (issue 18: others answer 404).
    sales = await add_team(hub, "sales")
    line = await routed_line(hub, max_hops=2, team_id=sales.id)
    _, boss = await operator_with_token(hub, "boss", Role.MANAGER, teams=(sales.id,))
    url = f"/api/v1/lines/{line.id}/routing"
    resp = await client.patch(
        url,
        json={
            "routing": {"strategy": "round_robin", "no_reply_timeout_s": 300},
            "business_hours": {"holidays": ["2026-12-25"]},
            "timezone": "Europe/Kyiv",
        },
        headers=boss,
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["routing"]["strategy"] == "round_robin"
    assert body["routing"]["max_hops"] == 2  # untouched
    stored = await hub.lines.get(line.id)
    assert stored.routing.strategy is RoutingStrategy.ROUND_ROBIN
    assert stored.routing.no_reply_timeout_s == 300
    assert stored.business_hours.holidays == ("2026-12-25",)
    assert stored.timezone == "Europe/Kyiv"
    resp = await client.get(url, headers=boss)
    assert (await resp.json())["timezone"] == "Europe/Kyiv"


async def test_bad_routing_is_422_and_nothing_changes(client: Client, hub: Hub) -> None:
    line = await routed_line(hub)
    _, boss = await operator_with_token(hub, "boss", Role.ADMIN)
    url = f"/api/v1/lines/{line.id}/routing"
    for body in (
        {"routing": {"max_hops": -1}},
        {"routing": {"strategy": "random"}},
        {"timezone": "Mars/Base"},
        {"colour": "red"},
        {"routing": ["least_busy"]},
    ):
        resp = await client.patch(url, json=body, headers=boss)
        assert resp.status == 422, body
        assert "error" in await resp.json()
    assert (await hub.lines.get(line.id)) == line
    resp = await client.patch(url, json={"routing": {"team_id": "no-such-team"}}, headers=boss)
    assert resp.status == 404


async def test_operators_cannot_configure_or_assign(client: Client, hub: Hub) -> None:
    line = await routed_line(hub)
    _, ann = await operator_with_token(hub, "ann")
    resp = await client.patch(f"/api/v1/lines/{line.id}/routing", json={}, headers=ann)
    assert resp.status == 403
    resp = await client.get("/api/v1/routing/queue")
    assert resp.status == 401


async def test_a_manager_assigns_from_the_queue(client: Client, hub: Hub) -> None:
    # Managers assign within their teams (the inbox's scope rule): one team for all three.
    sales = await add_team(hub, "sales")
    line = await routed_line(hub, team_id=sales.id)
    boss_op, boss = await operator_with_token(hub, "boss", Role.MANAGER, teams=(sales.id,))
    ann, _ = await operator_with_token(hub, "ann", teams=(sales.id,))
    conv = await customer_writes(hub, line)  # nobody online: queued
    resp = await client.get("/api/v1/routing/queue", headers=boss)
    assert [c["id"] for c in (await resp.json())["conversations"]] == [conv.id]
    resp = await client.post(
        f"/api/v1/conversations/{conv.id}/assign",
        json={"operator_id": ann.id, "note": "VIP"},
        headers=boss,
    )
    assert resp.status == 200
    hop = (await resp.json())["conversation"]["hops"][-1]
    assert (hop["reason"], hop["by"], hop["note"]) == ("manager", boss_op.id, "VIP")
    await hub.router.set_presence(ann.id, Presence.ONLINE)
    resp = await client.post(
        f"/api/v1/conversations/{conv.id}/assign", json={"operator_id": "nobody"}, headers=boss
    )
    assert resp.status == 422  # a body naming nobody is invalid input, not a missing route
    assert (await resp.json())["error"]["code"] == "unknown_target"


async def test_only_admins_reconcile(client: Client, hub: Hub) -> None:
    _, boss = await operator_with_token(hub, "boss", Role.MANAGER)
    _, root = await operator_with_token(hub, "root", Role.ADMIN)
    assert (await client.post("/api/v1/routing/reconcile", headers=boss)).status == 403
    resp = await client.post("/api/v1/routing/reconcile", headers=root)
    assert resp.status == 200
    assert (await resp.json())["fixed"] == 0
