"""CRM side: the auto-create hook per first message, and outbox pushes into a fake Bitrix24.

The hook runs after the webhook answered, so its time never adds to the persist time;
both are shown side by side. The outbox rows drain deals into the fake portal through the
real client (batches of 50 commands), once without a rate limit and once at Bitrix24's
own 2 requests/s with a burst of 50.
"""

from __future__ import annotations

import time

from pydantic import SecretStr

from bench.common import Context, Row, latency_row
from inbox.devfakes.bitrix24 import FakeBitrix24
from inbox.domain.clock import FrozenClock
from inbox.domain.inbound import InboundMessage
from inbox.domain.models import ChannelKind, CrmCreate, CrmRules
from inbox.services.lines import LineAdmin
from inbox.settings import Bitrix24Settings, CrmSettings
from inbox.wiring import open_hub

SECTION = "crm"


async def run(ctx: Context) -> list[Row]:
    n = 40 if ctx.quick else 200
    portal = FakeBitrix24()
    await portal.start()
    rows: list[Row] = []
    try:
        for label, rate in (("unlimited", 1000.0), ("bitrix24 limits (2/s, burst 50)", 2.0)):
            crm = CrmSettings(
                outbox_batch=50,
                bitrix24=Bitrix24Settings(
                    webhook_url=SecretStr(portal.webhook_url), rate_per_s=rate, max_wait_s=5
                ),
            )
            settings = ctx.settings(crm=crm)
            async with open_hub(settings, clock=FrozenClock()) as hub:
                admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
                line = await admin.create(
                    ChannelKind.API, "bench", crm=CrmRules(create=CrmCreate.DEAL)
                )
                persist: list[float] = []
                hook: list[float] = []
                started = time.perf_counter()
                for i in range(n):
                    inbound = InboundMessage(
                        external_id=f"m-{i}", external_user_id=f"u-{i}", user_name="Ann", text="hi"
                    )
                    t0 = time.perf_counter()
                    persisted = await hub.ingest.persist(line, [inbound])
                    t1 = time.perf_counter()
                    await hub.crm_side.hook.on_message_stored(persisted.stored[0])
                    persist.append(t1 - t0)
                    hook.append(time.perf_counter() - t1)
                elapsed = time.perf_counter() - started
                if label == "unlimited":
                    rows.append(
                        latency_row(SECTION, "persist before 2xx (floor)", persist, elapsed)
                    )
                    rows.append(
                        latency_row(SECTION, "auto-create deal hook (after 2xx)", hook, elapsed)
                    )
                before = portal.requests
                t0 = time.perf_counter()
                pushed = 0
                while (done := await hub.crm_side.drainer.drain()) > 0:
                    pushed += done
                took = time.perf_counter() - t0
                rows.append(
                    Row(
                        section=SECTION,
                        case=f"outbox -> fake Bitrix24, {label}",
                        count=pushed,
                        rate=round(pushed / took, 1) if took else None,
                        note=f"{portal.requests - before} HTTP requests",
                    )
                )
                await hub.db.client.drop_database(settings.mongo_db)
    finally:
        await portal.close()
    return rows
