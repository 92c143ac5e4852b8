"""The outbox drained into a fake Bitrix24: batches, rate limits, lost answers, restarts."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from crm_sync.bitrix24 import Bitrix24Client, Bitrix24Config
from crm_sync.bitrix24.client import TokenBucket
from crm_sync.bitrix24.errors import Bitrix24Error
from inbox.devfakes.bitrix24 import FakeBitrix24
from inbox.domain.clock import FrozenClock
from inbox.domain.models import CrmCreate, CrmRules, Role
from inbox.settings import Bitrix24Settings, CrmSettings, Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.conftest import existing_hub
from tests.helpers import api_body, make_line, operator_with_token, post_api


async def new_deal(client: TestClient, hub: Hub, message_id: str = "m-1", user: str = "u-1") -> str:  # type: ignore[type-arg]
    line = await make_line(hub, crm=CrmRules(create=CrmCreate.DEAL))
    body = api_body(
        message_id,
        user_id=user,
        text="need a sofa",
        user={"id": user, "name": "Ann", "phone": "+49 151 1234"},
    )
    status, _ = await post_api(client, line, body)
    assert status == 200
    await hub.drain_background()
    [deal] = await hub.crm_side.stores.deals.list(limit=1)
    return deal.id


async def test_deal_is_pushed_in_one_batch_with_contact_and_comment(
    b24client: TestClient,
    b24hub: Hub,
    portal: FakeBitrix24,  # type: ignore[type-arg]
) -> None:
    deal_id = await new_deal(b24client, b24hub)
    assert await b24hub.crm_side.drainer.drain() == 1

    [remote_deal] = portal.find("deal", deal_id)
    [remote_contact] = portal.find(
        "contact", (await b24hub.crm_side.stores.deals.get(deal_id)).contact_id
    )
    assert remote_deal["STAGE_ID"] == "NEW"
    assert remote_deal["TITLE"].startswith("Ann")
    assert remote_deal["ORIGINATOR_ID"] == "inbox-hub"
    assert remote_contact["PHONE"] == [
        {"VALUE": "+491511234", "VALUE_TYPE": "WORK"}
    ]  # stored as E.164 digits
    contact_rid = next(k for k, v in portal.records["contact"].items() if v is remote_contact)
    assert remote_deal["CONTACT_ID"] == str(contact_rid)
    [comment] = portal.comments.values()
    assert comment["ENTITY_TYPE"] == "deal"
    assert "need a sofa" in comment["COMMENT"]
    # contact look-up + one write batch
    assert portal.requests == 2

    item = await b24hub.crm_side.stores.outbox.get(f"bitrix24:deal:{deal_id}:create")
    assert item.status == "done"
    remote_id = next(k for k, v in portal.records["deal"].items() if v is remote_deal)
    assert item.remote_id == str(remote_id)
    ref = await b24hub.crm_side.stores.refs.get("bitrix24", "deal", deal_id)
    assert ref is not None
    assert ref.remote_id == str(remote_id)

    # A stage move becomes crm.deal.update on the same remote record.
    await b24hub.crm_side.sales.move_deal(deal_id, "payment", by="op", via="api")
    await b24hub.crm_side.drainer.drain()
    assert portal.records["deal"][remote_id]["STAGE_ID"] == "PREPAYMENT_INVOICE"
    assert len(portal.records["deal"]) == 1


async def test_query_limit_exceeded_backs_off_and_retries_without_duplicates(
    b24client: TestClient,
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,  # type: ignore[type-arg]
) -> None:
    deal_id = await new_deal(b24client, b24hub)
    portal.limit_next = 3
    await b24hub.crm_side.drainer.drain()
    item = await b24hub.crm_side.stores.outbox.get(f"bitrix24:deal:{deal_id}:create")
    assert (item.status, item.last_error_code) == ("pending", "QUERY_LIMIT_EXCEEDED")
    assert item.next_attempt_at > clock.now()
    assert await b24hub.crm_side.drainer.drain() == 0  # not due yet

    for _ in range(4):
        clock.advance(60)
        await b24hub.crm_side.drainer.drain()
    item = await b24hub.crm_side.stores.outbox.get(item.id)
    assert item.status == "done"
    assert len(portal.find("deal", deal_id)) == 1
    assert len(portal.records["contact"]) == 1
    assert len(portal.comments) == 1


async def test_a_lost_answer_and_a_worker_restart_never_duplicate(
    b24_settings: Settings,
    b24client: TestClient,
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,  # type: ignore[type-arg]
) -> None:
    deal_id = await new_deal(b24client, b24hub)
    portal.lose_write_answer_next = 1  # the write batch runs, but its answer is lost
    await b24hub.crm_side.drainer.drain()
    item = await b24hub.crm_side.stores.outbox.get(f"bitrix24:deal:{deal_id}:create")
    assert item.status == "pending"
    assert item.last_error_code == "http_500"
    # The portal did the work although we never heard back.
    assert len(portal.find("deal", deal_id)) == 1

    # A new worker process (a fresh hub on the same database) picks the item up later.
    clock.advance(600)
    async with open_hub(b24_settings, clock=clock) as restarted:
        assert await restarted.crm_side.drainer.drain() == 1
        item = await restarted.crm_side.stores.outbox.get(item.id)
    assert item.status == "done"
    assert len(portal.find("deal", deal_id)) == 1
    assert len(portal.records["contact"]) == 1
    assert len(portal.comments) == 1
    assert item.remote_id == str(next(iter(portal.records["deal"])))


async def test_permanent_failures_are_shown_to_managers_and_can_be_retried(
    b24client: TestClient,
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,  # type: ignore[type-arg]
) -> None:
    deal_id = await new_deal(b24client, b24hub)
    portal.deny.add("crm.deal.add")
    await b24hub.crm_side.drainer.drain()

    _, operator = await operator_with_token(b24hub, "op")
    _, manager = await operator_with_token(b24hub, "boss", Role.MANAGER)
    resp = await b24client.get("/api/v1/crm/outbox", headers=operator)
    assert resp.status == 403
    resp = await b24client.get("/api/v1/crm/outbox?status=failed", headers=manager)
    [failed] = (await resp.json())["items"]
    assert failed["entity_id"] == deal_id
    assert "Access denied." in failed["last_error"]
    entries = await b24hub.redis.xrange(b24hub.publisher.stream)
    live = [json.loads(fields[b"e"])["data"] for _, fields in entries]
    [alert] = [d for d in live if d.get("what") == "outbox.failed"]
    assert alert["item"]["id"] == failed["id"]
    # The contact it created on the way is kept, so a retry does not create it twice.
    assert len(portal.records["contact"]) == 1

    portal.deny.clear()
    resp = await b24client.post(f"/api/v1/crm/outbox/{failed['id']}/retry", headers=manager)
    assert (await resp.json())["status"] == "pending"
    await b24hub.crm_side.drainer.drain()
    assert (await b24hub.crm_side.stores.outbox.get(failed["id"])).status == "done"
    assert len(portal.find("deal", deal_id)) == 1
    assert len(portal.records["contact"]) == 1


async def test_two_deals_of_one_contact_in_one_batch_share_one_remote_contact(
    b24client: TestClient,  # type: ignore[type-arg]
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,
) -> None:
    first = await new_deal(b24client, b24hub)
    await b24hub.crm_side.sales.move_deal(first, "lost", by="op", via="api")
    [conversation] = await b24hub.conversations.list()
    await b24hub.conversations.set_status(
        conversation.id, conversation.status.RESOLVED, clock.now()
    )
    clock.advance(days=2)
    line = await b24hub.lines.get(conversation.line_id)
    status, _ = await post_api(b24client, line, api_body("m-2", text="another order"))
    assert status == 200
    await b24hub.drain_background()
    deals = await b24hub.crm_side.stores.deals.list()
    assert len(deals) == 2

    await b24hub.crm_side.drainer.drain()
    assert len(portal.records["contact"]) == 1
    assert len(portal.records["deal"]) == 2
    contact_rid = str(next(iter(portal.records["contact"])))
    assert {d["CONTACT_ID"] for d in portal.records["deal"].values()} == {contact_rid}


async def test_oauth_portal_refreshes_its_token(portal: FakeBitrix24) -> None:
    config = Bitrix24Config(
        portal_url=portal.base,
        client_id=portal.client_id,
        client_secret=SecretStr(portal.client_secret),
        refresh_token=SecretStr("rt-0"),
        oauth_url=f"{portal.base}/oauth/token/",
    )
    async with aiohttp.ClientSession() as session:
        client = Bitrix24Client(session, config)
        lead_id = await client.call("crm.lead.add", {"fields": {"TITLE": "x"}})
        portal.access_tokens.clear()  # the token expired
        rows = await client.call("crm.lead.list", {"select": ["ID", "TITLE"]})
    assert rows == [{"ID": str(lead_id), "TITLE": "x"}]
    assert portal.refresh_tokens == {"rt-2"}  # the rotated refresh token was used


async def test_returning_customer_adds_a_comment_to_the_same_remote_deal(
    b24client: TestClient,  # type: ignore[type-arg]
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,
) -> None:
    deal_id = await new_deal(b24client, b24hub)
    await b24hub.crm_side.drainer.drain()
    [conversation] = await b24hub.conversations.list()
    await b24hub.conversations.set_status(
        conversation.id, conversation.status.RESOLVED, clock.now()
    )
    clock.advance(days=2)
    line = await b24hub.lines.get(conversation.line_id)
    status, _ = await post_api(b24client, line, api_body("m-2", text="where is my sofa?"))
    assert status == 200
    await b24hub.drain_background()
    await b24hub.crm_side.drainer.drain()

    assert len(portal.records["deal"]) == 1
    remote_id = str(next(iter(portal.records["deal"])))
    comments = list(portal.comments.values())
    assert [c["ENTITY_ID"] for c in comments] == [remote_id, remote_id]
    assert "where is my sofa?" in comments[1]["COMMENT"]
    assert (await b24hub.crm_side.stores.deals.get(deal_id)).conversation_ids[1] != conversation.id


async def test_converted_lead_pushes_company_contact_and_deal_with_lead_id(
    b24client: TestClient,  # type: ignore[type-arg]
    b24hub: Hub,
    portal: FakeBitrix24,
) -> None:
    line = await make_line(b24hub, crm=CrmRules(create=CrmCreate.LEAD, b2b=True))
    assert (await post_api(b24client, line, api_body("m-1", text="40 laptops")))[0] == 200
    await b24hub.drain_background()
    [lead] = await b24hub.crm_side.stores.leads.list()
    await b24hub.crm_side.drainer.drain()
    [remote_lead_id] = portal.records["lead"]
    assert portal.records["lead"][remote_lead_id]["STATUS_ID"] == "NEW"

    _, deal = await b24hub.crm_side.sales.convert(
        lead.id, by="op", via="api", company_name="Acme", amount="1000", currency="EUR"
    )
    await b24hub.crm_side.drainer.drain()
    await b24hub.crm_side.drainer.drain()  # a second round for items that waited on others
    assert portal.records["lead"][remote_lead_id]["STATUS_ID"] == "CONVERTED"
    [remote_deal] = portal.find("deal", deal.id)
    assert remote_deal["LEAD_ID"] == str(remote_lead_id)
    assert remote_deal["OPPORTUNITY"] == "1000.00"
    assert remote_deal["CURRENCY_ID"] == "EUR"
    [remote_company_id] = portal.records["company"]
    assert remote_deal["COMPANY_ID"] == str(remote_company_id)
    [contact] = portal.records["contact"].values()
    assert contact["COMPANY_ID"] == str(remote_company_id)
    failed = await b24hub.crm_side.stores.outbox.list(status="failed")
    pending = await b24hub.crm_side.stores.outbox.list(status="pending")
    assert (failed, pending) == ([], [])


async def test_stage_and_category_maps_come_from_settings(
    settings: Settings, portal: FakeBitrix24, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INBOX_CRM__BITRIX24__WEBHOOK_URL", portal.webhook_url)
    monkeypatch.setenv("INBOX_CRM__BITRIX24__STAGE_MAP", '{"new_order": "C7:NEW"}')
    monkeypatch.setenv("INBOX_CRM__BITRIX24__CATEGORY_MAP", '{"b2c": "7"}')
    from_env = Settings(_env_file=None, **settings.model_dump(exclude={"crm"}))  # type: ignore[call-arg]
    async with open_hub(from_env, clock=clock) as hub:
        app = build_app(hub.settings, existing_hub(hub))
        async with TestClient(TestServer(app)) as client:
            deal_id = await new_deal(client, hub)
        await hub.crm_side.drainer.drain()
        assert portal.find("deal", deal_id)[0]["STAGE_ID"] == "C7:NEW"
        await hub.crm_side.sales.move_deal(deal_id, "payment", by="op", via="api")
        await hub.crm_side.drainer.drain()
        await hub.db.client.drop_database(from_env.mongo_db)
    [remote] = portal.find("deal", deal_id)
    assert remote["CATEGORY_ID"] == "7"
    assert remote["STAGE_ID"] == "PREPAYMENT_INVOICE"  # defaults kept for unmapped stages
    assert portal.methods.count("crm.deal.add") == 1


async def test_a_hook_crash_after_the_insert_is_healed_by_a_replay(
    b24client: TestClient,  # type: ignore[type-arg]
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,
) -> None:
    line = await make_line(b24hub, crm=CrmRules(create=CrmCreate.LEAD))
    assert (await post_api(b24client, line, api_body("m-1")))[0] == 200
    await b24hub.drain_background()
    [lead] = await b24hub.crm_side.stores.leads.list()
    # Lose everything the hook did after inserting the lead, as a crash would.
    await b24hub.db["crm_outbox"].delete_many({})
    await b24hub.db["conversations"].update_many({}, {"$set": {"lead_id": None}})
    await b24hub.db["messages"].update_many({}, {"$set": {"hooks_done": False}})

    clock.advance(60)
    assert await b24hub.ingest.heal(older_than_s=30) == 1
    conversation = await b24hub.conversations.get(lead.conversation_ids[0])
    assert conversation.lead_id == lead.id
    assert [i.id for i in await b24hub.crm_side.stores.outbox.list(status="pending")] == [
        f"bitrix24:lead:{lead.id}:create"
    ]
    await b24hub.crm_side.drainer.drain()
    assert len(portal.find("lead", lead.id)) == 1
    assert len(portal.comments) == 1


async def test_two_workers_draining_at_once_push_each_item_once(
    b24_settings: Settings,
    b24client: TestClient,  # type: ignore[type-arg]
    b24hub: Hub,
    portal: FakeBitrix24,
    clock: FrozenClock,
) -> None:
    line = await make_line(b24hub, crm=CrmRules(create=CrmCreate.DEAL))
    for i in range(6):
        body = api_body(f"m-{i}", user={"id": f"u-{i}", "name": f"C{i}"})
        assert (await post_api(b24client, line, body))[0] == 200
    await b24hub.drain_background()
    async with open_hub(b24_settings, clock=clock) as other_worker:
        await asyncio.gather(b24hub.crm_side.drainer.drain(), other_worker.crm_side.drainer.drain())
    assert len(portal.records["deal"]) == 6
    assert len(portal.records["contact"]) == 6
    assert len(portal.comments) == 6
    assert await b24hub.crm_side.stores.outbox.list(status="pending") == []


async def test_client_side_bucket_waits_then_gives_up() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, max_wait=0.2, monotonic=lambda: now[0])
    await bucket.take()
    await bucket.take()
    with pytest.raises(Bitrix24Error) as caught:
        await bucket.take()  # the next token is 0.5 s away: more than max_wait
    assert caught.value.retryable
    assert caught.value.remote_code == "QUERY_LIMIT_EXCEEDED"
    now[0] += 0.5
    await bucket.take()
    bucket.empty()
    now[0] += 0.45  # 0.9 of a token: a 0.05 s wait is within max_wait
    await bucket.take()


async def test_oauth_portal_survives_a_restart_with_a_rotated_refresh_token(
    settings: Settings, portal: FakeBitrix24, clock: FrozenClock
) -> None:
    crm = CrmSettings(
        bitrix24=Bitrix24Settings(
            portal_url=portal.base,
            client_id=portal.client_id,
            client_secret=SecretStr(portal.client_secret),
            refresh_token=SecretStr("rt-0"),
            oauth_url=f"{portal.base}/oauth/token/",
        )
    )
    oauth = settings.model_copy(update={"crm": crm})
    deals: list[str] = []
    for run in range(2):  # the second run is a restarted worker with the same settings
        async with open_hub(oauth, clock=clock) as hub:
            app = build_app(hub.settings, existing_hub(hub))
            async with TestClient(TestServer(app)) as client:
                deals.append(await new_deal(client, hub, f"m-{run}", user=f"u-{run}"))
            portal.access_tokens.clear()  # every access token expires meanwhile
            await hub.crm_side.drainer.drain()
            item = await hub.crm_side.stores.outbox.get(f"bitrix24:deal:{deals[-1]}:create")
            assert item.status == "done", item.last_error
            if run == 1:
                await hub.db.client.drop_database(oauth.mongo_db)
        clock.advance(60)
    assert [len(portal.find("deal", d)) for d in deals] == [1, 1]
    assert portal.refresh_tokens == {"rt-2"}  # rt-0 was spent by the first run
