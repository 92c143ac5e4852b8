"""The managers' page in Debian's Chromium: a manager logs in, opens Reports from the
inbox, sees the live board (waiting, SLA risk) and the period report in their language,
and the CSV link carries the same filter. Saves a screenshot for the README."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, expect

from inbox.domain.clock import FrozenClock
from inbox.domain.models import RoutingRules, RoutingStrategy
from inbox.services.sla.policy import SlaPolicy
from inbox.web.app import build_app
from inbox.wiring import Hub
from tests.browser.test_inbox_page import browser, live_hub, log_in, shots
from tests.conftest import existing_hub
from tests.fakes import callback_sink
from tests.helpers import make_line
from tests.web.api.support import customer_writes, make_world

__all__ = ["browser", "live_hub", "shots"]  # fixtures shared with the inbox page's test


async def test_manager_reports_page_in_chromium(
    live_hub: Hub, browser: Browser, shots: Path
) -> None:
    hub = live_hub
    clock = hub.clock
    assert isinstance(clock, FrozenClock)
    clock.set(datetime.now(UTC))
    world = await make_world(hub)
    app = build_app(hub.settings, existing_hub(hub))
    async with TestClient(TestServer(app)) as client, callback_sink() as sink:
        rules = RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL)
        line = await make_line(hub, name="Shop", routing=rules, settings={"callback_url": sink.url})
        policy = SlaPolicy(line_id=line.id, first_response_s=900, business_hours=False)
        await hub.reporting().sla.put_policy(
            {"_id": policy.id, **policy.model_dump(exclude={"id"})}
        )
        answered = await customer_writes(client, hub, line, "p-1", user_id="u-1")
        clock.advance(240)
        await hub.replier.reply(answered, world.op_a.id, "Hello!")
        await hub.sender.drain()
        await customer_writes(client, hub, line, "p-2", user_id="u-2")
        clock.advance(780)
        await hub.reporting().monitor.check()
        await hub.operators.replace(world.manager_a.model_copy(update={"locale": "uk"}))
        base = str(client.make_url("/"))
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        await log_in(page, base, "manager")
        await expect(page.locator("#open-reports")).to_be_visible()
        await page.click("#open-reports")
        await expect(page.locator("#reports-view")).to_be_visible()
        await expect(page.locator("[data-r=live_now]")).to_have_text("Зараз")
        await expect(page.locator("#r-waiting")).to_have_text("1")
        await expect(page.locator("#r-risk tbody tr")).to_have_count(1)
        await expect(page.locator("#r-conversations")).to_have_text("2")
        first = page.locator("#r-metrics tbody tr").first
        await expect(first).to_contain_text("Перша відповідь")
        await expect(first).to_contain_text("4 min 0 s")
        heat = await page.locator("#r-heatmap td.r-heat-cell").all_inner_texts()
        assert sum(int(x) for x in heat if x.strip()) == 2  # both conversations, once each
        href = await page.locator("#csv-conversations").get_attribute("href")
        assert href is not None
        assert href.startswith("/api/v1/reports/conversations.csv?since=")
        await page.screenshot(path=str(shots / "reports.png"), full_page=True)
        await page.close()
