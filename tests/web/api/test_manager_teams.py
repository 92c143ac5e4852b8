"""Managers are held to their teams on the routing and CRM-outbox routes and on the live
feed (issue 18, item 5); admins stay global."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.domain.inbound import ContactUpdate
from inbox.domain.models import OutboxItem
from inbox.web.api.scope import scope_for
from inbox.wiring import Hub
from tests.helpers import make_line
from tests.web.api.support import customer_writes, make_world
from tests.web.api.test_crm_scope import b2b_sales, status_code


async def test_a_manager_reads_and_patches_only_the_routing_of_their_teams(
    client: TestClient, hub: Hub
) -> None:
    w = await make_world(hub)
    line_b = f"/api/v1/lines/{w.line_b.id}/routing"
    line_a = f"/api/v1/lines/{w.line_a.id}/routing"
    resp = await client.get(line_b, headers=w.h(w.manager_a))
    assert await status_code(resp) == (404, "line_not_found")
    resp = await client.patch(
        line_b, json={"routing": {"team_id": w.team_a.id}}, headers=w.h(w.manager_a)
    )
    assert await status_code(resp) == (404, "line_not_found")
    # Nor may they hand their own line to another team (redirecting its conversations).
    resp = await client.patch(
        line_a, json={"routing": {"team_id": w.team_b.id}}, headers=w.h(w.manager_a)
    )
    assert await status_code(resp) == (404, "team_not_found")
    resp = await client.patch(line_a, json={"routing": {"team_id": None}}, headers=w.h(w.manager_a))
    assert await status_code(resp) == (422, "team_required")
    assert await hub.lines.get(w.line_a.id) == w.line_a
    assert await hub.lines.get(w.line_b.id) == w.line_b

    resp = await client.get(line_a, headers=w.h(w.manager_a))
    assert resp.status == 200
    resp = await client.patch(line_a, json={"timezone": "Europe/Kyiv"}, headers=w.h(w.manager_a))
    assert resp.status == 200
    assert (await hub.lines.get(w.line_a.id)).timezone == "Europe/Kyiv"
    resp = await client.patch(line_b, json={"timezone": "Europe/Kyiv"}, headers=w.h(w.admin))
    assert resp.status == 200


async def test_a_manager_sees_only_their_teams_queue(client: TestClient, hub: Hub) -> None:
    w = await make_world(hub)
    conv_a = await customer_writes(client, hub, w.line_a, "q-1", user_id="qa")
    conv_b = await customer_writes(client, hub, w.line_b, "q-2", user_id="qb")

    async def queued(who: object) -> set[str]:
        resp = await client.get("/api/v1/routing/queue", headers=w.h(who))  # type: ignore[arg-type]
        assert resp.status == 200
        return {c["id"] for c in (await resp.json())["conversations"]}

    assert await queued(w.manager_a) == {conv_a}
    assert await queued(w.admin) == {conv_a, conv_b}
    # The shared queue of a line of no team is everyone's.
    shared = await make_line(hub, name="Shared")
    conv_s = await customer_writes(client, hub, shared, "q-3", user_id="qs")
    assert await queued(w.manager_a) == {conv_a, conv_s}


async def test_a_manager_lists_and_retries_only_their_teams_outbox(
    client: TestClient, hub: Hub
) -> None:
    s = await b2b_sales(client, hub)
    w = s.world
    outbox = hub.crm_side.stores.outbox
    now = hub.clock.now()

    async def item(entity: str, entity_id: str) -> str:
        key = f"test:{entity}:{entity_id}:create"
        await outbox.enqueue(
            OutboxItem(
                id=key,
                system="test",
                entity=entity,
                entity_id=entity_id,
                action="create",
                status="failed",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        return key

    contact_a = (await hub.conversations.get(s.conv_a)).contact_id
    mine = {await item("lead", s.lead_a), await item("contact", contact_a)}
    theirs = {
        await item("lead", s.lead_b),
        await item("deal", s.deal_b),
        await item("contact", s.contact_b),
        await item("company", s.company_b),
        await item("lead", "no-such-lead"),
    }

    async def listed(who: object) -> set[str]:
        resp = await client.get("/api/v1/crm/outbox?status=failed", headers=w.h(who))  # type: ignore[arg-type]
        assert resp.status == 200
        return {i["id"] for i in (await resp.json())["items"]}

    assert await listed(w.manager_a) == mine
    assert await listed(w.admin) == mine | theirs
    for key in theirs:
        resp = await client.post(f"/api/v1/crm/outbox/{key}/retry", headers=w.h(w.manager_a))
        assert await status_code(resp) == (404, "outbox_item_not_found"), key
        assert (await outbox.get(key)).status == "failed"
    for key in mine:
        resp = await client.post(f"/api/v1/crm/outbox/{key}/retry", headers=w.h(w.manager_a))
        assert (await resp.json())["status"] == "pending"


async def test_contact_updates_reach_only_the_lines_team(client: TestClient, hub: Hub) -> None:
    w = await make_world(hub)
    await customer_writes(client, hub, w.line_b, "c-1", user_id="ub")
    persisted = await hub.ingest.persist(
        w.line_b, [ContactUpdate(external_user_id="ub", reachable=False)]
    )
    [event] = [e.model_dump(mode="json") for e in persisted.events]
    assert (event["type"], event["team_id"]) == ("contact.updated", w.team_b.id)
    manager_a = await scope_for(hub, w.manager_a)
    admin = await scope_for(hub, w.admin)
    assert not manager_a.sees_event(event)
    assert admin.sees_event(event)
    same_team = {**event, "team_id": w.team_a.id}
    assert manager_a.sees_event(same_team)
    # An event naming no team and no conversation is the admins' alone, and its addressee's.
    assert not manager_a.sees_event({**event, "team_id": None})
    reminder = {"type": "crm.task_due", "conversation_id": None, "assignee_id": w.op_b.id}
    assert (await scope_for(hub, w.op_b)).sees_event(reminder)
    assert not manager_a.sees_event(reminder)
