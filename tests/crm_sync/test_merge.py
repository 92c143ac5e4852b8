"""Contact matching by phone/email across channels, explicit merge, and undo."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.domain.models import CrmCreate, CrmRules
from inbox.wiring import Hub
from tests.helpers import api_body, make_line, operator_with_token, post_api


async def two_channels(client: TestClient, hub: Hub):  # type: ignore[no-untyped-def,type-arg]
    """Ann writes on two lines (think Telegram and Viber), one phone spelled two ways."""
    tg = await make_line(hub, name="telegram-ish", crm=CrmRules(create=CrmCreate.DEAL))
    vb = await make_line(hub, name="viber-ish")
    body = api_body("t-1", user={"id": "tg-7", "name": "Ann", "phone": "+49 151 555"})
    assert (await post_api(client, tg, body))[0] == 200
    body = api_body("v-1", user={"id": "vb-9", "name": "Anna K", "phone": "49151555"})
    assert (await post_api(client, vb, body))[0] == 200
    await hub.drain_background()
    a = await hub.contacts.find_by_identity(tg.id, "tg-7")
    b = await hub.contacts.find_by_identity(vb.id, "vb-9")
    assert a is not None
    assert b is not None
    return tg, vb, a, b


async def test_same_phone_is_proposed_never_merged_automatically(
    client: TestClient, hub: Hub
) -> None:
    _, _, a, b = await two_channels(client, hub)
    assert a.id != b.id
    assert (await hub.contacts.get(b.id)).merged_into is None
    _, auth = await operator_with_token(hub, "ann")
    resp = await client.get("/api/v1/crm/merge-proposals", headers=auth)
    [proposal] = (await resp.json())["items"]
    assert sorted(proposal["contact_ids"]) == sorted([a.id, b.id])
    assert proposal["reasons"] == ["phone:+49151555"]
    resp = await client.get(f"/api/v1/crm/contacts/{a.id}/matches", headers=auth)
    [match] = (await resp.json())["items"]
    assert match["contact"]["id"] == b.id


async def test_same_name_alone_is_no_match(client: TestClient, hub: Hub) -> None:
    line = await make_line(hub)
    await post_api(client, line, api_body("1", user={"id": "x", "name": "Ann"}))
    await post_api(client, line, api_body("2", user={"id": "y", "name": "Ann"}))
    await hub.drain_background()
    assert await hub.crm_side.stores.merges.proposals() == []


async def test_merge_keeps_identities_and_history_and_undo_restores(
    client: TestClient, hub: Hub
) -> None:
    tg, vb, a, b = await two_channels(client, hub)
    _, auth = await operator_with_token(hub, "ann")
    note = await client.post(
        "/api/v1/crm/notes", json={"contact_id": b.id, "text": "prefers Viber"}, headers=auth
    )
    assert note.status == 201

    resp = await client.post(
        "/api/v1/crm/merges", json={"source_id": b.id, "target_id": a.id}, headers=auth
    )
    assert resp.status == 201, await resp.text()
    merge = await resp.json()

    merged = await hub.contacts.get(a.id)
    assert {i.key for i in merged.identities} == {f"{tg.id}:tg-7", f"{vb.id}:vb-9"}
    assert (await hub.contacts.get(b.id)).merged_into == a.id
    overview = await (await client.get(f"/api/v1/contacts/{a.id}/overview", headers=auth)).json()
    kinds = sorted(i["type"] for i in overview["timeline"])
    assert kinds == ["conversation", "conversation", "deal", "note"]
    assert (await hub.crm_side.stores.merges.proposals("merged"))[0].status == "merged"

    # A new message from the absorbed identity lands on the surviving contact.
    await post_api(client, vb, api_body("v-2", user={"id": "vb-9", "name": "Anna K"}))
    await hub.drain_background()
    found = await hub.contacts.find_by_identity(vb.id, "vb-9")
    assert found is not None
    assert found.id == a.id
    assert len(await hub.conversations.list(contact_id=a.id)) == 2

    resp = await client.post(f"/api/v1/crm/merges/{merge['id']}/undo", headers=auth)
    assert resp.status == 200
    restored_a = await hub.contacts.get(a.id)
    restored_b = await hub.contacts.get(b.id)
    assert {i.key for i in restored_a.identities} == {f"{tg.id}:tg-7"}
    assert {i.key for i in restored_b.identities} == {f"{vb.id}:vb-9"}
    assert restored_b.merged_into is None
    assert restored_a.phones == ("+49151555",)  # stored as E.164 digits
    assert [c.line_id for c in await hub.conversations.list(contact_id=b.id)] == [vb.id]
    notes = await hub.crm_side.stores.notes.list(contact_ids=[b.id])
    assert [n.text for n in notes] == ["prefers Viber"]

    again = await client.post(f"/api/v1/crm/merges/{merge['id']}/undo", headers=auth)
    assert (again.status, (await again.json())["error"]["code"]) == (409, "merge_undone")


async def test_merge_refuses_two_open_conversations_on_one_line(
    client: TestClient, hub: Hub
) -> None:
    line = await make_line(hub)
    await post_api(client, line, api_body("1", user={"id": "x", "name": "A", "email": "a@x.io"}))
    await post_api(client, line, api_body("2", user={"id": "y", "name": "B", "email": "A@x.io"}))
    await hub.drain_background()
    x = await hub.contacts.find_by_identity(line.id, "x")
    y = await hub.contacts.find_by_identity(line.id, "y")
    assert x is not None
    assert y is not None
    _, auth = await operator_with_token(hub, "ann")
    resp = await client.post(
        "/api/v1/crm/merges", json={"source_id": y.id, "target_id": x.id}, headers=auth
    )
    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "merge_open_conversations")
    assert (await hub.contacts.get(y.id)).merged_into is None
