"""An email conversation in Debian's Chromium: the subject, the cut quote behind a
collapsed toggle, the sanitized original on demand (no script runs, remote images only
when asked), and attachments."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from inbox.domain.models import RoutingRules, RoutingStrategy
from inbox.web.app import build_app
from inbox.wiring import Hub
from tests.browser.test_inbox_page import browser, live_hub, log_in  # noqa: F401 - fixtures
from tests.conftest import existing_hub
from tests.connectors.email.mailkit import deliver, email_line, stored
from tests.web.api.support import make_world

from playwright.async_api import Browser, expect  # isort: skip

MAIL = (
    b"From: Mark Evans <mark@example.com>\r\nTo: support@shop.example\r\n"
    b"Subject: Re: Invoice 1042\r\nMessage-ID: <inv-1042@example.com>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPaid today, thanks!\r\n\r\n"
    b"On Mon, 1 Dec 2026, Shop <support@shop.example> wrote:\r\n> Invoice 1042 is due.\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Paid <b>today</b>, thanks!</p><img src="http://127.0.0.1:9/p.gif" alt="px">'
    b'<img src=x onerror="parent.__xss=1"><script>parent.__xss=2</script>'
    b"<blockquote>Invoice 1042 is due.</blockquote>\r\n--b--\r\n"
)


async def test_email_conversation_in_chromium(live_hub: Hub, browser: Browser) -> None:  # noqa: F811
    hub = live_hub
    world = await make_world(hub)
    line = await email_line(hub)
    line = await hub.lines.replace(
        line.model_copy(
            update={
                "routing": RoutingRules(team_id=world.team_a.id, strategy=RoutingStrategy.MANUAL)
            }
        )
    )
    await deliver(hub, line, MAIL)
    message = await stored(hub, line, "inv-1042@example.com")
    assert message.mail is not None
    app = build_app(hub.settings, existing_hub(hub))
    async with TestClient(TestServer(app)) as client:
        base = str(client.make_url("/"))
        context = await browser.new_context(viewport={"width": 1400, "height": 820}, locale="en-US")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await log_in(page, base, world.op_a.login)
        await page.click('#tabs button[data-tab="unassigned"]')
        await page.click(".conv")
        await expect(page.locator("#chat-subject")).to_have_text("Invoice 1042")
        bubble = page.locator(".msg.in").last
        await expect(bubble.locator(".text").first).to_have_text("Paid today, thanks!")
        quoted = bubble.locator("details.quoted")
        await expect(quoted).not_to_have_attribute("open", "")
        await quoted.locator("summary").click()
        await expect(quoted.locator(".text")).to_contain_text("> Invoice 1042 is due.")
        await bubble.get_by_role("button", name="Show original").click()
        frame = page.frame_locator(".msg.in iframe.original").last
        await expect(frame.locator("b")).to_have_text("today")
        await expect(frame.locator('img[alt="px"]')).not_to_have_attribute(
            "src", "http://127.0.0.1:9/p.gif"
        )
        await bubble.get_by_role("button", name="Load remote images").click()
        frame = page.frame_locator(".msg.in iframe.original").last
        await expect(frame.locator('img[alt="px"]')).to_have_attribute(
            "src", "http://127.0.0.1:9/p.gif"
        )
        assert await page.evaluate("window.__xss") is None
        assert await frame.locator("script").count() == 0
        assert errors == []
        await context.close()
