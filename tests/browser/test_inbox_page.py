"""The operator page in Debian's Chromium, driven by Playwright: log in, a customer message
arrives live, reply and see the delivery tick, transfer, the colleague resolves; a Telegram
customer's message arrives live and the reply goes out through the (fake) Bot API; a script
payload in a customer message stays text. Saves screenshots of the main screens."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from inbox.devfakes.telegram import FakeTelegram
from inbox.domain.clock import FrozenClock
from inbox.domain.inbound import InboundMessage
from inbox.domain.models import (
    CannedResponse,
    ChannelKind,
    CrmCreate,
    CrmRules,
    Line,
    RoutingRules,
    RoutingStrategy,
)
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.conftest import existing_hub
from tests.helpers import api_body, make_line, post_api
from tests.web.api.fake_callback import callback_server
from tests.web.api.support import PASSWORD, World, make_world

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("INBOX_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The committed screenshots are rewritten only on request (UPDATE_SCREENSHOTS=1 make test),
# so a plain test run leaves the work tree clean.
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

if shutil.which(CHROMIUM) is None:  # .ci/run installs it with apt
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402

# A shared 2-core machine can be slow; expectations wait for a state, they never time it.
expect.set_options(timeout=15_000)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return DOCS_SHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path


@pytest.fixture
async def live_hub(settings: Settings) -> AsyncIterator[Hub]:
    """A hub whose clock reads (close to) the real time, so the page's ages look right."""
    clock = FrozenClock(datetime.now(UTC) - timedelta(minutes=40))
    async with open_hub(settings, clock=clock) as hub:
        yield hub
        await hub.db.client.drop_database(settings.mongo_db)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


async def seed_other_channels(hub: Hub, world: World) -> dict[ChannelKind, Line]:
    """A few conversations on other channels, for realistic screenshots (stored through
    ingest, as their connectors would)."""
    clock = hub.clock
    assert isinstance(clock, FrozenClock)
    samples = [
        (ChannelKind.TELEGRAM, "Олена Коваль", "Добрий день! Чи є доставка до Львова?"),
        (ChannelKind.VIBER, "Дмитрий Петров", "Сколько стоит установка?"),
        (ChannelKind.INSTAGRAM, "Sofia Rossi", "Do you ship to Italy? 🇮🇹"),
        (ChannelKind.EMAIL, "Mark Evans", "Invoice #1042 for the March order"),
    ]
    lines: dict[ChannelKind, Line] = {}
    for n, (kind, name, text) in enumerate(samples):
        line = Line(
            kind=kind,
            name=f"{kind.value.title()} shop",
            credentials={"secret": SecretStr(f"s-{kind.value}"), "token": SecretStr("1:x")},
            routing=RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL),
            created_at=clock.now(),
        )
        await hub.lines.add(line)
        lines[kind] = line
        clock.advance(minutes=5)
        inbound = InboundMessage(
            external_id=f"seed-{n}", external_user_id=f"s{n}", user_name=name, text=text
        )
        persisted = await hub.ingest.persist(line, [inbound])
        await hub.ingest.follow_up(persisted)
    return lines


async def log_in(page: Page, base: str, login: str) -> None:
    await page.goto(base)
    await page.fill("#login-name", login)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#app-view")).to_be_visible()
    await expect(page.locator("#live-state.up")).to_be_visible()


async def test_operator_flow_in_chromium(live_hub: Hub, browser: Browser, shots: Path) -> None:
    hub = live_hub
    world = await make_world(hub)
    seeded = await seed_other_channels(hub, world)
    greeting = CannedResponse(
        title="Greeting",
        text="Hello {{contact.first_name}}, this is {{operator.name}}!",
        team_id=world.team_a.id,
        created_at=hub.clock.now(),
    )
    await hub.canned.add(greeting)
    assert isinstance(hub.clock, FrozenClock)
    hub.clock.set(datetime.now(UTC))
    async with callback_server() as (callback_url, received), FakeTelegram() as fake_tg:
        # The Telegram line talks to the fake Bot API, as the demo does (its api_base).
        tg_line = seeded[ChannelKind.TELEGRAM]
        tg_line = await hub.lines.replace(
            tg_line.model_copy(
                update={"settings": {**tg_line.settings, "api_base": fake_tg.base_url}}
            )
        )
        line = await make_line(
            hub,
            name="Website chat",
            settings={"callback_url": callback_url},
            routing=RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL),
            crm=CrmRules(create=CrmCreate.DEAL),  # B2C: a first message opens a deal
        )
        app = build_app(hub.settings, existing_hub(hub))
        async with TestClient(TestServer(app)) as client:
            base = str(client.make_url("/"))
            anna_ctx = await browser.new_context(
                viewport={"width": 1400, "height": 820}, locale="en-US"
            )
            page = await anna_ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(base)
            await expect(page.locator("#login-view")).to_be_visible()
            await page.screenshot(path=str(shots / "login.png"))
            await log_in(page, base, world.op_a.login)
            await page.click('#tabs button[data-tab="unassigned"]')
            await expect(page.locator(".conv")).to_have_count(4)
            andriy_ctx = await browser.new_context(
                viewport={"width": 1400, "height": 820}, locale="uk-UA"
            )
            andriy = await andriy_ctx.new_page()
            await log_in(andriy, base, world.op_a2.login)
            await andriy.click('#tabs button[data-tab="unassigned"]')

            # A customer writes now: the conversation shows up live, without a reload.
            body = api_body(
                "live-1",
                "web-7",
                "Hi! Is the blue sofa still in stock?",
                user={"id": "web-7", "name": "Ann Miller", "phone": "+380671112233"},
            )
            assert (await post_api(client, line, body))[0] == 200
            item = page.locator(".conv", has_text="Ann Miller")
            await expect(item).to_be_visible()
            await item.click()
            await expect(page.locator(".msg.in .text")).to_have_text(
                "Hi! Is the blue sofa still in stock?"
            )

            # A Telegram message arrives live too, with its channel icon.
            # Through the Telegram connector's own webhook, as Telegram would call it.
            update = {
                "update_id": 9001,
                "message": {
                    "message_id": 77,
                    "date": int(datetime.now(UTC).timestamp()),
                    "chat": {"id": 777, "type": "private", "first_name": "Taras"},
                    "from": {"id": 777, "is_bot": False, "first_name": "Taras"},
                    "text": "Привіт!",
                },
            }
            resp = await client.post(
                f"/webhooks/telegram/{tg_line.id}",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": tg_line.secret("secret")},
            )
            assert resp.status == 200, await resp.text()
            taras = page.locator(".conv", has_text="Taras")
            await expect(taras).to_be_visible()
            await expect(taras.locator("img.channel")).to_have_attribute("alt", "telegram")

            # Andriy opens the same queued conversation: anna is warned before both answer.
            await andriy.locator(".conv", has_text="Ann Miller").click()
            await expect(page.locator("#collision")).to_contain_text(world.op_a2.name)
            await page.screenshot(path=str(shots / "collision.png"))

            # An injection attempt is shown as text and runs nothing.
            assert (await post_api(client, line, api_body("live-2", "web-7", XSS)))[0] == 200
            await expect(page.locator(".msg.in .text").last).to_have_text(XSS)
            assert await page.locator(".msg img").count() == 0
            assert await page.evaluate("window.__xss") is None

            await page.click("#act-claim")
            await expect(page.locator("#chat-assignee")).to_have_text(world.op_a.name)
            await page.select_option("#canned", greeting.id)
            await expect(page.locator("#reply")).to_have_value("Hello Ann, this is Anna!")
            await page.fill("#reply", "Yes, it is! Shall I reserve it for you?")
            await page.keyboard.press("Control+Enter")
            tick = page.locator(".msg.out .tick").last
            await expect(tick).to_have_attribute("data-status", "sent")
            assert [r["text"] for r in received] == ["Yes, it is! Shall I reserve it for you?"]
            await page.fill("#reply", "Customer prefers delivery after 18:00")
            await page.check("#note-mode")
            await page.click("#send")
            await expect(page.locator(".msg.note .text")).to_have_text(
                "Customer prefers delivery after 18:00"
            )
            await page.uncheck("#note-mode")
            await page.click('#tabs button[data-tab="all"]')
            await expect(page.locator(".conv")).to_have_count(6)
            await expect(page.locator(".conv.active")).to_contain_text("Ann Miller")
            await expect(page.locator("#contact-card")).not_to_contain_text("null")
            # The CRM side opened a deal for the first message; the card shows it, and
            # follows a stage move made elsewhere (a crm.updated event) without a reload.
            card_crm = page.locator("#contact-card .crm")
            await expect(card_crm).to_contain_text("Deal")
            current = page.locator(".conv.active")
            assert await current.count() == 1
            ann = await hub.conversations.list(line_id=line.id, limit=5)
            deal = await hub.crm_side.stores.deals.for_conversation(ann[0].id)
            assert deal is not None
            await hub.crm_side.sales.move_deal(deal.id, "payment", by=world.op_a.id, via="test")
            await expect(card_crm).to_contain_text("Payment")
            await page.screenshot(path=str(shots / "inbox.png"))

            # Transfer to Andriy; it lands in his "Mine" list live.
            await page.select_option("#act-transfer", f"op:{world.op_a2.id}")
            await expect(page.locator("#chat-assignee")).to_have_text(world.op_a2.name)
            await andriy.click('#tabs button[data-tab="mine"]')
            mine = andriy.locator(".conv", has_text="Ann Miller")
            await expect(mine).to_be_visible()
            await mine.click()

            # Andriy switches the interface to Ukrainian and resolves.
            await andriy.select_option("#locale", "uk")
            await expect(andriy.locator("#act-resolve")).to_have_text("Закрити")
            await andriy.screenshot(path=str(shots / "inbox-uk.png"))
            await andriy.click("#act-resolve")
            await expect(andriy.locator("#chat-status")).to_have_text("закрита")
            # Anna handed it over: it has left her lists.
            await expect(page.locator(".conv", has_text="Ann Miller")).to_have_count(0)
            conversation = await hub.conversations.get(
                (await hub.messages.get_by_external(line.id, "live-1")).conversation_id  # type: ignore[union-attr]
            )
            assert conversation.status.value == "resolved"
            assert conversation.assignee_id == world.op_a2.id

            # Anna answers the Telegram customer: the reply goes out through the Bot API.
            await page.locator(".conv", has_text="Taras").click()
            await expect(page.locator(".msg.in .text").last).to_have_text("Привіт!")
            await page.fill("#reply", "Вітаю, Тарасе! Чим можу допомогти?")
            await page.keyboard.press("Control+Enter")
            tg_tick = page.locator(".msg.out .tick").last
            await expect(tg_tick).to_have_attribute("data-status", "sent")
            [sent] = fake_tg.sent_to(777)
            assert sent["text"] == "Вітаю, Тарасе! Чим можу допомогти?"
            assert [m for _, m, _ in fake_tg.calls] == ["sendMessage"]
            stored = await hub.messages.get_by_external(tg_line.id, f"777:{sent['message_id']}")
            assert stored is not None
            assert stored.status.value == "sent"
            assert errors == []
            await anna_ctx.close()
            await andriy_ctx.close()


async def test_admin_manages_teams_operators_and_line_queues(
    live_hub: Hub, browser: Browser, shots: Path
) -> None:
    hub = live_hub
    world = await make_world(hub)
    app = build_app(hub.settings, existing_hub(hub))
    async with TestClient(TestServer(app)) as client:
        base = str(client.make_url("/"))
        context = await browser.new_context(viewport={"width": 1400, "height": 820})
        page = await context.new_page()
        await log_in(page, base, world.admin.login)
        await page.click("#open-admin")
        await expect(page.locator("#admin-teams li")).to_have_count(2)
        await page.fill('#team-form input[name="name"]', "<i>Wholesale</i>")
        await page.click('#team-form button[type="submit"]')
        await expect(page.locator("#admin-teams li")).to_have_count(3)
        await expect(page.locator("#admin-teams")).to_contain_text("<i>Wholesale</i>")
        wholesale = next(t for t in await hub.teams.list() if t.name == "<i>Wholesale</i>")
        form = page.locator("#operator-form")
        await form.locator('input[name="login"]').fill("olena")
        await form.locator('input[name="name"]').fill("Olena")
        await form.locator('input[name="password"]').fill("long password 1")
        await form.locator('select[name="role"]').select_option("manager")
        await form.locator('select[name="team"]').select_option(wholesale.id)
        await form.locator('button[type="submit"]').click()
        await expect(page.locator("#admin-operators")).to_contain_text("Olena (olena) · manager")
        olena = await hub.operators.get_by_login("olena")
        assert olena is not None
        assert (olena.role.value, olena.teams) == ("manager", (wholesale.id,))
        # Move the Support line's queue to the new team.
        line_row = page.locator("#admin-lines li", has_text=world.line_b.name)
        async with page.expect_response(lambda r: r.url.endswith("/routing")) as answer:
            await line_row.locator("select").select_option(wholesale.id)
        assert (await answer.value).status == 200
        assert (await hub.lines.get(world.line_b.id)).routing.team_id == wholesale.id
        await page.screenshot(path=str(shots / "admin.png"))
        await context.close()
