"""Conversations through the API: audience per role and team, IDOR attempts, tabs, filters,
search without $text, cursor pagination, counts, assignment and status changes."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.fakes import callback_sink
from tests.web.api.support import World, customer_writes, make_world


async def ids(client: TestClient, headers: dict[str, str], **query: str) -> set[str]:
    resp = await client.get("/api/v1/conversations", params=query, headers=headers)
    assert resp.status == 200, await resp.text()
    return {i["conversation"]["id"] for i in (await resp.json())["items"]}


async def setup(client: TestClient, hub: Hub) -> tuple[World, str, str]:
    world = await make_world(hub)
    conv_a = await customer_writes(
        client, hub, world.line_a, "a-1", user_id="ua", text="Need a quote"
    )
    conv_b = await customer_writes(client, hub, world.line_b, "b-1", user_id="ub", text="Broken!")
    return world, conv_a, conv_b


async def test_each_role_sees_only_its_audience(client: TestClient, hub: Hub) -> None:
    world, conv_a, conv_b = await setup(client, hub)
    assert await ids(client, world.h(world.admin)) == {conv_a, conv_b}
    assert await ids(client, world.h(world.manager_a)) == {conv_a}
    assert await ids(client, world.h(world.op_a)) == {conv_a}
    assert await ids(client, world.h(world.op_b)) == {conv_b}
    # Once anna claims it, her teammate no longer sees it; the manager still does.
    resp = await client.post(f"/api/v1/conversations/{conv_a}/claim", headers=world.h(world.op_a))
    assert resp.status == 200
    assert await ids(client, world.h(world.op_a2)) == set()
    assert await ids(client, world.h(world.manager_a)) == {conv_a}
    assert await ids(client, world.h(world.op_a), tab="mine") == {conv_a}


async def test_idor_attempts_answer_404_and_change_nothing(client: TestClient, hub: Hub) -> None:
    world, conv_a, conv_b = await setup(client, hub)
    other = world.h(world.op_b)
    for method, path, body in [
        ("GET", f"/api/v1/conversations/{conv_a}", None),
        ("GET", f"/api/v1/conversations/{conv_a}/messages", None),
        ("GET", f"/api/v1/conversations/{conv_a}/contact", None),
        ("POST", f"/api/v1/conversations/{conv_a}/messages", {"text": "hi"}),
        ("POST", f"/api/v1/conversations/{conv_a}/notes", {"text": "hi"}),
        ("POST", f"/api/v1/conversations/{conv_a}/claim", None),
        ("POST", f"/api/v1/conversations/{conv_a}/transfer", {"to_operator": world.op_b.id}),
        ("POST", f"/api/v1/conversations/{conv_a}/resolve", None),
        ("POST", f"/api/v1/conversations/{conv_a}/reopen", None),
        ("POST", f"/api/v1/conversations/{conv_a}/read", None),
    ]:
        resp = await client.request(method, path, json=body, headers=other)
        assert resp.status == 404, (method, path, resp.status)
    conversation = await hub.conversations.get(conv_a)
    assert conversation.assignee_id is None
    assert conversation.status.value == "open"
    messages = await hub.messages.list_for_conversation(conv_a)
    assert [m.text for m in messages] == ["Need a quote"]
    # A manager cannot assign across teams, nor reach the other team's conversation.
    resp = await client.post(
        f"/api/v1/conversations/{conv_b}/assign",
        json={"operator_id": world.op_a.id},
        headers=world.h(world.manager_a),
    )
    assert resp.status == 404
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/assign",
        json={"operator_id": world.op_b.id},
        headers=world.h(world.manager_a),
    )
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "outside_team"


async def test_teammate_cannot_act_on_a_claimed_conversation(client: TestClient, hub: Hub) -> None:
    world, conv_a, _ = await setup(client, hub)
    await client.post(f"/api/v1/conversations/{conv_a}/claim", headers=world.h(world.op_a))
    resp = await client.post(f"/api/v1/conversations/{conv_a}/claim", headers=world.h(world.op_a2))
    assert resp.status == 404  # not in her audience any more
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/resolve", headers=world.h(world.op_a2)
    )
    assert resp.status == 404


async def test_transfer_assign_snooze_resolve_reopen_read(client: TestClient, hub: Hub) -> None:
    world, conv_a, _ = await setup(client, hub)
    anna = world.h(world.op_a)
    await client.post(f"/api/v1/conversations/{conv_a}/claim", headers=anna)
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/transfer",
        json={"to_operator": world.op_a2.id, "note": "knows prices"},
        headers=anna,
    )
    assert resp.status == 200
    conversation = (await resp.json())["conversation"]
    assert conversation["assignee_id"] == world.op_a2.id
    assert conversation["hops"][-1]["note"] == "knows prices"
    # anna gave it away: she can no longer transfer it back
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/transfer",
        json={"to_operator": world.op_a.id},
        headers=anna,
    )
    assert resp.status == 404
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/transfer",
        json={"to_operator": "nobody"},
        headers=world.h(world.op_a2),
    )
    assert resp.status == 422
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/assign",
        json={"operator_id": world.op_a.id},
        headers=world.h(world.manager_a),
    )
    assert (await resp.json())["conversation"]["assignee_id"] == world.op_a.id
    until = (hub.clock.now() + timedelta(hours=2)).isoformat()
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/snooze", json={"until": until}, headers=anna
    )
    assert (await resp.json())["conversation"]["status"] == "snoozed"
    resp = await client.post(
        f"/api/v1/conversations/{conv_a}/snooze",
        json={"until": hub.clock.now().isoformat()},
        headers=anna,
    )
    assert resp.status == 422
    resp = await client.post(f"/api/v1/conversations/{conv_a}/resolve", headers=anna)
    assert (await resp.json())["conversation"]["status"] == "resolved"
    assert await ids(client, anna, tab="resolved") == {conv_a}
    assert await ids(client, anna, tab="mine") == set()
    resp = await client.post(f"/api/v1/conversations/{conv_a}/reopen", headers=anna)
    assert (await resp.json())["conversation"]["status"] == "open"
    assert (await hub.conversations.get(conv_a)).unread_count == 1
    resp = await client.post(f"/api/v1/conversations/{conv_a}/read", headers=anna)
    assert (await resp.json())["conversation"]["unread_count"] == 0


async def test_tabs_counts_filters_and_waiting_time(client: TestClient, hub: Hub) -> None:
    world, conv_a, conv_b = await setup(client, hub)
    hub.clock.advance(minutes=20)  # type: ignore[attr-defined]
    conv_a3 = await customer_writes(client, hub, world.line_a, "a-3", user_id="uc", text="later")
    admin = world.h(world.admin)
    await client.post(f"/api/v1/conversations/{conv_a}/claim", headers=world.h(world.op_a))
    counts = await (
        await client.get("/api/v1/conversations/counts", headers=world.h(world.op_a))
    ).json()
    assert counts == {"mine": 1, "unassigned": 1, "team": 2, "all": 2}
    assert await ids(client, admin, line_id=world.line_b.id) == {conv_b}
    assert await ids(client, admin, channel="api") == {conv_a, conv_b, conv_a3}
    assert await ids(client, admin, channel="telegram") == set()
    assert await ids(client, admin, team_id=world.team_a.id) == {conv_a, conv_a3}
    assert await ids(client, admin, waiting_min="10") == {conv_a, conv_b}
    assert await ids(client, admin, waiting_min="30") == set()
    # An operator's answer the platform accepted stops the waiting clock.
    async with callback_sink() as sink:
        line_a = world.line_a.model_copy(update={"settings": {"callback_url": sink.url}})
        await hub.lines.replace(line_a)
        resp = await client.post(
            f"/api/v1/conversations/{conv_a}/messages",
            json={"text": "on it"},
            headers=world.h(world.op_a),
        )
        assert resp.status == 201
        await hub.drain_background()
    assert [r["text"] for r in sink.received] == ["on it"]
    assert await ids(client, admin, waiting_min="10") == {conv_b}
    resp = await client.get("/api/v1/conversations", params={"tab": "nope"}, headers=admin)
    assert resp.status == 422


async def test_search_by_name_phone_email_and_message_text(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    admin = world.h(world.admin)
    olena = await customer_writes(
        client,
        hub,
        world.line_a,
        "s-1",
        user_id="u1",
        text="Ціна на доставку?",
        user={"id": "u1", "name": "Олена Коваль", "phone": "+380501234567"},
    )
    john = await customer_writes(
        client,
        hub,
        world.line_a,
        "s-2",
        user_id="u2",
        text="Invoice for order 77",
        user={"id": "u2", "name": "John Smith", "email": "John@Example.com"},
    )
    assert await ids(client, admin, q="олена") == {olena}
    assert await ids(client, admin, q="Ковал") == {olena}
    assert await ids(client, admin, q="050 123") == {olena}
    assert await ids(client, admin, q="john@example") == {john}
    assert await ids(client, admin, q="smi") == {john}
    assert await ids(client, admin, q="доставку") == {olena}
    assert await ids(client, admin, q="invoice order") == {john}
    assert await ids(client, admin, q="nothing-like-this") == set()
    assert await ids(client, admin, q=".*") == set()  # regex characters are escaped
    # Search never widens the audience.
    assert await ids(client, world.h(world.op_b), q="john") == set()


async def test_cursor_pagination_walks_every_conversation_once(
    client: TestClient, hub: Hub
) -> None:
    world = await make_world(hub)
    expected = set()
    for n in range(7):
        hub.clock.advance(1)  # type: ignore[attr-defined]
        expected.add(await customer_writes(client, hub, world.line_a, f"p-{n}", user_id=f"p{n}"))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = await (
            await client.get("/api/v1/conversations", params=params, headers=world.h(world.op_a))
        ).json()
        seen += [i["conversation"]["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7
    assert set(seen) == expected
    assert seen[0] == max(expected)  # newest activity first
    resp = await client.get(
        "/api/v1/conversations", params={"cursor": "!!"}, headers=world.h(world.op_a)
    )
    assert resp.status == 422


async def test_contact_card_hides_other_teams_conversations(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    conv_a = await customer_writes(client, hub, world.line_a, "c-1", user_id="same")
    await customer_writes(client, hub, world.line_b, "c-2", user_id="same")
    card = await (
        await client.get(f"/api/v1/conversations/{conv_a}/contact", headers=world.h(world.op_a))
    ).json()
    assert card["contact"]["name"] == "Ann"
    assert [i["conversation"]["id"] for i in card["overview"]["timeline"]] == [conv_a]
