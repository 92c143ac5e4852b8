"""A line stored with settings the router cannot use never stops routing for the others."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from inbox.domain.clock import FrozenClock
from inbox.domain.models import ChannelKind, Line, Presence, RoutingRules
from inbox.wiring import Hub
from tests.routing.support import add_operator, customer_writes, routed_line, router_of


async def stored_as_is(hub: Hub, timezone: str) -> Line:
    """A line written before writes were validated (straight into the repository)."""
    line = Line(
        kind=ChannelKind.API,
        name="Old line",
        timezone=timezone,
        routing=RoutingRules(),
        created_at=hub.clock.now(),
    )
    return await hub.lines.add(line)


@pytest.mark.parametrize("timezone", ["../../etc/passwd", "Not/AZone"])
async def test_a_bad_time_zone_neither_stops_the_sweep_nor_other_lines(
    hub: Hub, timezone: str
) -> None:
    bad = await stored_as_is(hub, timezone)
    good = await routed_line(hub)
    ann = await add_operator(hub, "ann")
    on_bad = await customer_writes(hub, bad, "u-bad")
    on_good = await customer_writes(hub, good, "u-good")
    assert (on_bad.assignee_id, on_good.assignee_id) == (None, None)  # nobody online yet

    await hub.router.set_presence(ann.id, Presence.ONLINE)  # drains the queue
    assert (await hub.conversations.get(on_good.id)).assignee_id == ann.id
    # the bad line falls back to UTC (no hours: always open) instead of stopping
    assert (await hub.conversations.get(on_bad.id)).assignee_id == ann.id

    router = router_of(hub)
    router._routable = (-1e9, [])  # the line list is cached for cache_s
    with capture_logs() as logs:
        await router.sweep()
    warned = [e for e in logs if e["event"] == "line_settings_unusable"]
    assert [(e["line_id"], e["field"]) for e in warned] == [(bad.id, "timezone")]
    assert not [e for e in logs if e["log_level"] == "error"]


async def test_the_heal_loop_finishes_messages_of_a_line_with_a_bad_time_zone(
    hub: Hub, clock: FrozenClock
) -> None:
    bad = await stored_as_is(hub, "../../etc/passwd")
    await add_operator(hub, "ann")
    await customer_writes(hub, bad, "u-1")
    clock.advance(seconds=120)
    # every hook ran (the router queued it in UTC): nothing is left to retry forever
    assert await hub.ingest.heal(older_than_s=30) == 0
