"""The inbox page on an Instagram conversation: the composer says how long the reply window
stays open, an unsent message is collapsed (its text kept), reactions show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer

from inbox.domain.clock import FrozenClock
from inbox.domain.inbound import InboundMessage, MessageDeleted, ReactionUpdate
from inbox.domain.models import RoutingRules, RoutingStrategy
from inbox.web.app import build_app
from inbox.wiring import Hub
from tests.browser.test_inbox_page import (  # noqa: F401 - fixtures used by name
    Browser,
    browser,
    expect,
    live_hub,
    log_in,
)
from tests.conftest import existing_hub
from tests.connectors.instagram.helpers import CUSTOMER, instagram_line
from tests.web.api.support import make_world


async def test_instagram_window_and_unsent_message_in_chromium(
    live_hub: Hub,  # noqa: F811 - the fixture imported above
    browser: Browser,  # noqa: F811 - the fixture imported above
) -> None:
    hub = live_hub
    world = await make_world(hub)
    assert isinstance(hub.clock, FrozenClock)
    hub.clock.set(datetime.now(UTC) - timedelta(hours=30))
    line = await instagram_line(
        hub, routing=RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL)
    )
    events = [
        InboundMessage(external_id="mid.a", external_user_id=CUSTOMER, text="Is the sofa here?"),
        InboundMessage(external_id="mid.b", external_user_id=CUSTOMER, text="oops, wrong chat"),
        MessageDeleted(external_id="mid.b"),
        ReactionUpdate(external_id="mid.a", external_user_id=CUSTOMER, emoji="🔥"),
    ]
    persisted = await hub.ingest.persist(line, events)
    await hub.ingest.follow_up(persisted)
    hub.clock.set(datetime.now(UTC))
    app = build_app(hub.settings, existing_hub(hub))
    async with TestClient(TestServer(app)) as client:
        base = str(client.make_url("/"))
        context = await browser.new_context(viewport={"width": 1400, "height": 820}, locale="en-US")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await log_in(page, base, world.op_a.login)
        await page.click('#tabs button[data-tab="unassigned"]')
        await page.locator(".conv").first.click()
        await expect(page.locator("#composer-window")).to_contain_text(
            "24-hour window closed; only a person may reply"
        )
        await expect(page.locator(".msg.deleted summary")).to_have_text(
            "Unsent by the customer (show)"
        )
        await expect(page.locator(".msg.deleted .text")).to_be_hidden()
        await page.click(".msg.deleted summary")
        await expect(page.locator(".msg.deleted .text")).to_have_text("oops, wrong chat")
        await expect(page.locator(".msg .reactions")).to_have_text("🔥")

        # A comment on a post: the composer offers the one private reply.
        comment = InboundMessage(
            external_id="comment:1790001",
            external_user_id="6400000000000999",
            user_name="lena.b",
            text="How much is the armchair?",
        )
        persisted = await hub.ingest.persist(line, [comment])
        await hub.ingest.follow_up(persisted)
        await page.locator(".conv", has_text="lena.b").click()
        await expect(page.locator("#composer-window")).to_contain_text(
            "you can send one private reply"
        )
        assert errors == []
        await context.close()
