"""The worker: its jobs run at start and on their interval, and it stops on request."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from inbox.domain.models import DeliveryStatus
from inbox.wiring import Hub
from inbox.worker import hub_jobs, run_worker
from tests.fakes import callback_sink
from tests.helpers import api_body, make_line, post_api


async def test_worker_sends_what_was_pending_and_stops(client: TestClient, hub: Hub) -> None:
    async with callback_sink() as sink:
        line = await make_line(hub, settings={"callback_url": sink.url})
        await post_api(client, line, api_body("w-1"))
        stored = await hub.messages.get_by_external(line.id, "w-1")
        assert stored is not None
        reply = await hub.replier.reply(stored.conversation_id, "op", "queued while down")
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(hub, stop))
        for _ in range(100):
            if (await hub.messages.get(reply.id)).status is DeliveryStatus.SENT:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert (await hub.messages.get(reply.id)).status is DeliveryStatus.SENT
    assert len(sink.received) == 1


def test_jobs_have_names_and_positive_intervals(hub: Hub) -> None:
    jobs = hub_jobs(hub)
    assert {j.name for j in jobs} >= {"outbound_drain", "ingest_heal"}
    assert all(j.interval_s > 0 for j in jobs)
