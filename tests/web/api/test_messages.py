"""Replies (delivered through the API channel's callback), notes, uploads with limits, file
downloads scoped to the conversation, history paging, canned responses."""

from __future__ import annotations

import asyncio

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from inbox.domain.models import RoutingRules, RoutingStrategy
from inbox.wiring import Hub
from tests.helpers import make_line
from tests.web.api.fake_callback import callback_server
from tests.web.api.support import customer_writes, make_world


async def wait_status(hub: Hub, message_id: str, status: str) -> str:
    for _ in range(200):
        current = (await hub.messages.get(message_id)).status.value
        if current == status:
            return current
        await asyncio.sleep(0.02)
    return current


async def test_reply_is_delivered_and_marked_sent(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    async with callback_server() as (url, received):
        line = await make_line(
            hub,
            settings={"callback_url": url},
            routing=RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL),
        )
        conv = await customer_writes(client, hub, line, "r-1", user_id="cust")
        resp = await client.post(
            f"/api/v1/conversations/{conv}/messages",
            json={"text": "Hello <b>there</b>"},
            headers=world.h(world.op_a),
        )
        assert resp.status == 201
        message = (await resp.json())["message"]
        assert message["status"] == "pending"
        assert message["direction"] == "out"
        assert await wait_status(hub, message["id"], "sent") == "sent"
    assert [(r["user_id"], r["text"]) for r in received] == [("cust", "Hello <b>there</b>")]
    stored = await hub.messages.get(message["id"])
    assert stored.external_id == f"ext-{message['id']}"
    conversation = await hub.conversations.get(conv)
    assert conversation.unread_count == 0


async def test_note_is_stored_but_never_sent(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    async with callback_server() as (url, received):
        line = await make_line(
            hub,
            settings={"callback_url": url},
            routing=RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL),
        )
        conv = await customer_writes(client, hub, line, "n-1")
        resp = await client.post(
            f"/api/v1/conversations/{conv}/notes",
            json={"text": "VIP customer"},
            headers=world.h(world.op_a),
        )
        assert resp.status == 201
        assert (await resp.json())["message"]["direction"] == "note"
        await hub.drain_background()
    assert received == []
    page = await (
        await client.get(f"/api/v1/conversations/{conv}/messages", headers=world.h(world.op_a))
    ).json()
    assert [m["text"] for m in page["items"]] == ["VIP customer", "hello"]


async def test_empty_and_malformed_replies_are_422(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    conv = await customer_writes(client, hub, world.line_a, "e-1")
    for body in ({"text": ""}, {}, {"text": "x", "extra": 1}):
        resp = await client.post(
            f"/api/v1/conversations/{conv}/messages", json=body, headers=world.h(world.op_a)
        )
        assert resp.status == 422, body
    resp = await client.post(
        f"/api/v1/conversations/{conv}/messages", data=b"{not json", headers=world.h(world.op_a)
    )
    assert (await resp.json())["error"]["code"] == "invalid_json"


async def test_history_pages_backwards(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    conv = ""
    for n in range(5):
        conv = await customer_writes(client, hub, world.line_a, f"h-{n}", text=f"m{n}")
    texts: list[str] = []
    before = None
    while True:
        params = {"limit": "2", **({"before": before} if before else {})}
        page = await (
            await client.get(
                f"/api/v1/conversations/{conv}/messages", params=params, headers=world.h(world.op_a)
            )
        ).json()
        texts += [m["text"] for m in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert texts == ["m4", "m3", "m2", "m1", "m0"]


def upload(text: str, data: bytes, name: str, content_type: str) -> FormData:
    form = FormData()
    form.add_field("text", text)
    form.add_field("file", data, filename=name, content_type=content_type)
    return form


async def test_file_reply_limits_and_scoped_download(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    hub.settings.ui.max_upload_bytes = 1000  # a small limit for this test
    conv = await customer_writes(client, hub, world.line_a, "f-1")
    anna = world.h(world.op_a)
    url = f"/api/v1/conversations/{conv}/messages"
    resp = await client.post(
        url,
        data=upload("price list", b"%PDF-1.4 tiny", "prices.pdf", "application/pdf"),
        headers=anna,
    )
    assert resp.status == 201, await resp.text()
    attachment = (await resp.json())["message"]["attachments"][0]
    assert (attachment["kind"], attachment["name"], attachment["size"]) == (
        "document",
        "prices.pdf",
        13,
    )
    resp = await client.post(
        url, data=upload("", b"x" * 1001, "big.pdf", "application/pdf"), headers=anna
    )
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "file_too_large"
    resp = await client.post(url, data=upload("", b"<script>", "x.html", "text/html"), headers=anna)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "file_type_not_allowed"
    download = await client.get(f"/api/v1/files/{attachment['file_id']}", headers=anna)
    assert download.status == 200
    assert await download.read() == b"%PDF-1.4 tiny"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Another team's operator cannot fetch it, even knowing the id.
    other = await client.get(f"/api/v1/files/{attachment['file_id']}", headers=world.h(world.op_b))
    assert other.status == 404


async def test_canned_responses_with_placeholders_and_team_scope(
    client: TestClient, hub: Hub
) -> None:
    world = await make_world(hub)
    conv = await customer_writes(client, hub, world.line_a, "cr-1")
    manager = world.h(world.manager_a)
    resp = await client.post(
        "/api/v1/canned-responses",
        json={
            "title": "Greeting",
            "text": "Hi {{contact.first_name}}, {{operator.name}} here. {{unknown.x}}",
            "team_id": world.team_a.id,
        },
        headers=manager,
    )
    assert resp.status == 201
    canned_id = (await resp.json())["canned"]["id"]
    resp = await client.post(
        "/api/v1/canned-responses",
        json={"title": "Theirs", "text": "x", "team_id": world.team_b.id},
        headers=manager,
    )
    assert resp.status == 403
    listed = await (
        await client.get("/api/v1/canned-responses", headers=world.h(world.op_a))
    ).json()
    assert [c["title"] for c in listed["items"]] == ["Greeting"]
    listed = await (
        await client.get("/api/v1/canned-responses", headers=world.h(world.op_b))
    ).json()
    assert listed["items"] == []
    resp = await client.post(
        f"/api/v1/conversations/{conv}/canned/{canned_id}", headers=world.h(world.op_a)
    )
    assert (await resp.json())["text"] == "Hi Ann, Anna here. {{unknown.x}}"
    resp = await client.delete(f"/api/v1/canned-responses/{canned_id}", headers=manager)
    assert resp.status == 204
