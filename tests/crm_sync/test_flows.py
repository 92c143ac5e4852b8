"""B2C and B2B flows end to end: an API-channel webhook -> a deal or a lead -> sales moves."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.domain.events import MessageStored
from inbox.domain.models import ChannelKind, CrmCreate, CrmRules, Role
from inbox.wiring import Hub, open_hub
from tests.helpers import api_body, make_line, operator_with_token, post_api


async def deliver(client: TestClient, hub: Hub, line, body: bytes) -> None:  # type: ignore[no-untyped-def]
    status, _ = await post_api(client, line, body)
    assert status == 200
    await hub.drain_background()


async def test_b2c_first_message_creates_one_deal_in_the_short_pipeline(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.DEAL))
    await deliver(client, hub, line, api_body("m-1", text="I want the red shoes"))
    await deliver(client, hub, line, api_body("m-2", text="size 38"))

    deals = await hub.crm_side.stores.deals.list()
    assert len(deals) == 1
    deal = deals[0]
    assert (deal.pipeline_id, deal.stage_id) == ("b2c", "new_order")
    conversation = await hub.conversations.get(deal.conversation_ids[0])
    assert conversation.deal_id == deal.id
    assert deal.contact_id == conversation.contact_id
    assert await hub.crm_side.stores.leads.list() == []  # B2C skips the lead

    _, auth = await operator_with_token(hub, "ann")
    resp = await client.post(
        f"/api/v1/crm/deals/{deal.id}/move", json={"stage_id": "payment"}, headers=auth
    )
    assert resp.status == 200
    resp = await client.put(
        f"/api/v1/crm/deals/{deal.id}/amount",
        json={"amount": "129.9", "currency": "eur"},
        headers=auth,
    )
    assert (await resp.json())["amount"] == "129.90"
    clock.advance(60)
    resp = await client.post(
        f"/api/v1/crm/deals/{deal.id}/move", json={"stage_id": "won"}, headers=auth
    )
    won = await resp.json()
    assert won["currency"] == "EUR"
    assert won["closed_at"] is not None
    moves = [(m["from_stage"], m["to_stage"], m["via"]) for m in won["history"]]
    assert moves == [
        (None, "new_order", "auto"),
        ("new_order", "payment", "api"),
        ("payment", "won", "api"),
    ]
    assert won["history"][-1]["by"] is not None
    assert won["history"][-1]["at"] > won["history"][1]["at"]

    resp = await client.post(
        f"/api/v1/crm/deals/{deal.id}/move", json={"stage_id": "nowhere"}, headers=auth
    )
    assert (resp.status, (await resp.json())["error"]["code"]) == (422, "unknown_stage")


async def test_returning_customer_is_linked_to_the_open_deal(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.DEAL))
    await deliver(client, hub, line, api_body("m-1"))
    first = await hub.conversations.list()
    await hub.conversations.set_status(first[0].id, first[0].status.RESOLVED, hub.clock.now())
    clock.advance(days=3)
    await deliver(client, hub, line, api_body("m-2", text="me again"))

    deals = await hub.crm_side.stores.deals.list()
    assert len(deals) == 1
    conversations = await hub.conversations.list()
    assert len(conversations) == 2
    assert set(deals[0].conversation_ids) == {c.id for c in conversations}
    assert all(c.deal_id == deals[0].id for c in conversations)


async def test_b2b_lead_is_qualified_into_a_deal_with_company(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.LEAD, b2b=True))
    await deliver(client, hub, line, api_body("m-1", text="We need 40 laptops"))
    leads = await hub.crm_side.stores.leads.list()
    assert len(leads) == 1
    lead = leads[0]
    assert lead.status == "new"
    assert await hub.crm_side.stores.deals.list() == []

    _, auth = await operator_with_token(hub, "bob")
    resp = await client.post(
        f"/api/v1/crm/leads/{lead.id}/move", json={"status": "in_progress"}, headers=auth
    )
    assert (await resp.json())["status"] == "in_progress"
    resp = await client.post(
        f"/api/v1/crm/leads/{lead.id}/convert",
        json={"company_name": "Acme GmbH", "amount": "52000", "currency": "EUR"},
        headers=auth,
    )
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    deal, qualified = body["deal"], body["lead"]
    assert (deal["pipeline_id"], deal["stage_id"]) == ("b2b", "qualification")
    assert deal["lead_id"] == lead.id
    assert qualified["deal_id"] == deal["id"]
    assert qualified["status"] == "qualified"
    # The deal starts with the lead's whole history, then the conversion.
    assert [m["to_stage"] for m in deal["history"]] == ["new", "in_progress", "qualification"]
    assert deal["company_id"] == qualified["company_id"] is not None

    # Converting again (a retried request) gives the same deal, not a second one.
    again = await client.post(f"/api/v1/crm/leads/{lead.id}/convert", json={}, headers=auth)
    assert (await again.json())["deal"]["id"] == deal["id"]
    assert len(await hub.crm_side.stores.deals.list()) == 1

    conversation = await hub.conversations.get(lead.conversation_ids[0])
    assert (conversation.lead_id, conversation.deal_id) == (lead.id, deal["id"])
    contact = await hub.contacts.get(lead.contact_id)
    assert contact.company_id == deal["company_id"]

    resp = await client.get(f"/api/v1/crm/companies/{deal['company_id']}/overview", headers=auth)
    overview = await resp.json()
    assert [c["id"] for c in overview["contacts"]] == [contact.id]
    assert {i["type"] for i in overview["timeline"]} == {"conversation", "lead", "deal"}


async def test_disqualified_lead_keeps_its_reason(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.LEAD, b2b=True))
    await deliver(client, hub, line, api_body("m-1"))
    lead = (await hub.crm_side.stores.leads.list())[0]
    _, auth = await operator_with_token(hub, "cid")
    resp = await client.post(
        f"/api/v1/crm/leads/{lead.id}/disqualify", json={"reason": " "}, headers=auth
    )
    assert resp.status == 422
    resp = await client.post(
        f"/api/v1/crm/leads/{lead.id}/disqualify", json={"reason": "student project"}, headers=auth
    )
    assert resp.status == 200
    resp = await client.get("/api/v1/crm/leads?status=disqualified", headers=auth)
    [kept] = (await resp.json())["items"]
    assert (kept["id"], kept["disqualify_reason"]) == (lead.id, "student project")
    resp = await client.post(f"/api/v1/crm/leads/{lead.id}/convert", json={}, headers=auth)
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "lead_closed")


async def test_concurrent_duplicate_webhooks_make_exactly_one_lead(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.LEAD))
    body = api_body("m-1", text="hello")
    results = await asyncio.gather(*(post_api(client, line, body) for _ in range(12)))
    assert {status for status, _ in results} == {200}
    await hub.drain_background()
    # Replay the hook as the heal sweep would after a crash, concurrently.
    message = await hub.messages.get_by_external(line.id, "m-1")
    assert message is not None
    conversation = await hub.conversations.get(message.conversation_id)
    contact = await hub.contacts.get(conversation.contact_id)
    stored = MessageStored(
        message=message,
        conversation=conversation,
        contact=contact,
        line=line,
        new_conversation=True,
        first_message=True,
    )
    # ... in this process and in a second one on the same database.
    async with open_hub(hub.settings, clock=clock) as other_process:
        await asyncio.gather(
            *(hub.crm_side.hook.on_message_stored(stored) for _ in range(4)),
            *(other_process.crm_side.hook.on_message_stored(stored) for _ in range(4)),
        )
    leads = await hub.crm_side.stores.leads.list()
    assert len(leads) == 1
    assert (await hub.conversations.get(conversation.id)).lead_id == leads[0].id


async def test_a_line_without_crm_rules_creates_nothing(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    await deliver(client, hub, line, api_body("m-1"))
    assert await hub.crm_side.stores.leads.list() == []
    assert await hub.crm_side.stores.deals.list() == []


async def test_responsible_is_the_assignee_or_the_line_s_operator(
    client: TestClient, hub: Hub
) -> None:
    boss, _ = await operator_with_token(hub, "boss", Role.MANAGER)
    line = await make_line(
        hub, ChannelKind.API, crm=CrmRules(create=CrmCreate.DEAL, responsible=boss.id)
    )
    await deliver(client, hub, line, api_body("m-1"))
    [deal] = await hub.crm_side.stores.deals.list()
    assert deal.responsible_id == boss.id


async def test_a_company_has_several_contacts(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.LEAD, b2b=True))
    await deliver(client, hub, line, api_body("m-1", user={"id": "buyer", "name": "Buyer"}))
    await deliver(client, hub, line, api_body("m-2", user={"id": "boss", "name": "Director"}))
    buyer = await hub.contacts.find_by_identity(line.id, "buyer")
    boss = await hub.contacts.find_by_identity(line.id, "boss")
    assert buyer is not None
    assert boss is not None
    _, auth = await operator_with_token(hub, "ann")
    resp = await client.post("/api/v1/crm/companies", json={"name": "Acme"}, headers=auth)
    company = await resp.json()
    again = await client.post("/api/v1/crm/companies", json={"name": "ACME "}, headers=auth)
    assert (await again.json())["id"] == company["id"]
    for person in (buyer, boss):
        resp = await client.put(
            f"/api/v1/crm/contacts/{person.id}/company",
            json={"company_id": company["id"]},
            headers=auth,
        )
        assert (await resp.json())["company_id"] == company["id"]
    [lead, _] = await hub.crm_side.stores.leads.list()
    resp = await client.post(
        f"/api/v1/crm/leads/{lead.id}/convert", json={"company_id": company["id"]}, headers=auth
    )
    assert (await resp.json())["deal"]["company_id"] == company["id"]
    overview = await (
        await client.get(f"/api/v1/crm/companies/{company['id']}/overview", headers=auth)
    ).json()
    assert {c["name"] for c in overview["contacts"]} == {"Buyer", "Director"}
    assert sorted(i["type"] for i in overview["timeline"]) == [
        "conversation",
        "conversation",
        "deal",
        "lead",
        "lead",
    ]


async def test_deal_changes_are_addressed_to_the_conversation_audience(
    client: TestClient, hub: Hub
) -> None:
    """A stage move is told to the deal's conversation (its team and assignee), so the
    live feed never shows it to managers of other teams."""
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.DEAL))
    await post_api(client, line, api_body("aud-1", user_id="aud"))
    await hub.drain_background(within_s=10)
    stored = await hub.messages.get_by_external(line.id, "aud-1")
    assert stored is not None
    deal = await hub.crm_side.stores.deals.for_conversation(stored.conversation_id)
    assert deal is not None
    await hub.crm_side.sales.move_deal(deal.id, "payment", by=None, via="test")
    entries = await hub.redis.xrange(hub.publisher.stream)
    events = [json.loads(fields[b"e"]) for _, fields in entries]
    moved = [
        e for e in events if e["type"] == "crm.updated" and e["data"]["what"] == "deal.updated"
    ]
    assert len(moved) == 1
    assert moved[0]["conversation_id"] == stored.conversation_id
    assert moved[0]["line_id"] == line.id
