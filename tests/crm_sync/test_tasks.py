"""Tasks and reminders: shown to the responsible operator, fired once by the worker job."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp.test_utils import TestClient

from inbox.domain.clock import FrozenClock
from inbox.wiring import Hub
from inbox.worker import hub_jobs
from tests.helpers import operator_with_token


async def stream_events(hub: Hub, kind: str) -> list[dict]:  # type: ignore[type-arg]
    entries = await hub.redis.xrange(hub.publisher.stream)
    events = [json.loads(fields[b"e"]) for _, fields in entries]
    return [e for e in events if e["type"] == kind]


async def test_call_back_tomorrow_fires_once_for_the_responsible(
    client: TestClient, hub: Hub, clock: FrozenClock
) -> None:
    ann, auth = await operator_with_token(hub, "ann")
    bob, bob_auth = await operator_with_token(hub, "bob")
    due = (clock.now() + timedelta(days=1)).replace(hour=10, minute=0)
    resp = await client.post(
        "/api/v1/crm/tasks",
        json={"title": "Call back", "due_at": due.isoformat(), "responsible_id": bob.id},
        headers=auth,
    )
    assert resp.status == 201
    task = await resp.json()

    mine = await (await client.get("/api/v1/crm/tasks", headers=bob_auth)).json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    theirs = await (await client.get("/api/v1/crm/tasks", headers=auth)).json()
    assert theirs["items"] == []

    job = next(j for j in hub_jobs(hub) if j.name == "crm_tasks")
    await job.run()
    assert await stream_events(hub, "crm.task_due") == []

    clock.set(due)
    await job.run()
    await job.run()  # a second tick, or a second worker, does not remind again
    [event] = await stream_events(hub, "crm.task_due")
    assert event["assignee_id"] == bob.id
    assert event["data"]["task"]["id"] == task["id"]

    resp = await client.post(f"/api/v1/crm/tasks/{task['id']}/done", headers=bob_auth)
    assert (await resp.json())["done"] is True
    mine = await (await client.get("/api/v1/crm/tasks", headers=bob_auth)).json()
    assert mine["items"] == []
    assert ann.id != bob.id


async def test_naive_due_time_is_rejected(client: TestClient, hub: Hub) -> None:
    _, auth = await operator_with_token(hub, "ann")
    resp = await client.post(
        "/api/v1/crm/tasks", json={"title": "x", "due_at": "2026-01-06T10:00:00"}, headers=auth
    )
    assert (resp.status, (await resp.json())["error"]["code"]) == (422, "naive_datetime")
