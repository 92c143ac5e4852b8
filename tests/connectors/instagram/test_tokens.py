"""The worker renews long-lived Instagram tokens before they expire, and warns admins."""

from __future__ import annotations

from datetime import timedelta

from inbox.devfakes.instagram import TOKEN, FakeInstagram
from inbox.services.line_tokens import refresh_line_tokens
from inbox.wiring import Hub
from inbox.worker import hub_jobs
from tests.channels import published
from tests.connectors.instagram.helpers import instagram_line


async def refresh(hub: Hub) -> int:
    return await refresh_line_tokens(hub.lines, hub.connectors, hub.publisher, hub.clock)


async def test_a_token_near_its_expiry_is_renewed(hub: Hub, fake_instagram: FakeInstagram) -> None:
    obtained = hub.clock.now() - timedelta(days=55)
    line = await instagram_line(
        hub, fake_instagram.api_base, settings={"token_obtained_at": obtained.isoformat()}
    )
    assert await refresh(hub) == 1
    renewed = await hub.lines.get(line.id)
    token = renewed.secret("access_token")
    assert token != TOKEN
    assert token in fake_instagram.tokens
    expires = renewed.settings["token_expires_at"]
    assert expires == (hub.clock.now() + timedelta(days=60)).isoformat()
    assert await refresh(hub) == 0  # fresh now: not renewed again


async def test_a_young_token_or_a_page_token_is_left_alone(
    hub: Hub, fake_instagram: FakeInstagram
) -> None:
    young = (hub.clock.now() - timedelta(hours=2)).isoformat()
    await instagram_line(hub, fake_instagram.api_base, settings={"token_obtained_at": young})
    await instagram_line(hub, fake_instagram.api_base, settings={"page_id": "1122334455"})
    assert await refresh(hub) == 0
    assert ("GET", "/v23.0/refresh_access_token") not in fake_instagram.calls


async def test_a_refused_refresh_warns_admins_and_keeps_the_token(
    hub: Hub, fake_instagram: FakeInstagram
) -> None:
    fake_instagram.refresh_failures = 1
    old = (hub.clock.now() - timedelta(days=59)).isoformat()
    line = await instagram_line(hub, fake_instagram.api_base, settings={"token_obtained_at": old})
    assert await refresh(hub) == 0
    kept = await hub.lines.get(line.id)
    assert kept.secret("access_token") == TOKEN
    assert "Session has expired" in kept.settings["token_refresh_error"]
    warnings = await published(hub, "line.warning")
    assert len(warnings) == 1
    assert warnings[0]["conversation_id"] is None  # admins and managers see it
    assert "could not be renewed" in warnings[0]["data"]["message"]
    assert TOKEN not in str(warnings[0])
    assert await refresh(hub) == 1  # the next run succeeds
    assert "token_refresh_error" not in (await hub.lines.get(line.id)).settings


def test_the_worker_runs_the_refresh(hub: Hub) -> None:
    assert "line_tokens" in {job.name for job in hub_jobs(hub)}


async def test_a_line_added_without_registration_is_not_refreshed_on_its_first_day(
    hub: Hub, fake_instagram: FakeInstagram
) -> None:
    """No public URL at ``line add``: no token_obtained_at; the line's age counts."""
    line = await instagram_line(hub, fake_instagram.api_base)
    assert "token_obtained_at" not in line.settings
    assert await refresh(hub) == 0
    assert await published(hub, "line.warning") == []
    hub.clock.advance(days=51)  # type: ignore[attr-defined]
    assert await refresh(hub) == 1
