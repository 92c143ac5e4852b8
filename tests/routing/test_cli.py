"""``inbox line routing`` and friends, run on a real hub."""

from __future__ import annotations

import json

import pytest

from inbox.cli import build_parser
from inbox.cli_routing import (
    cmd_line_routing,
    cmd_presence,
    cmd_queue,
    cmd_team_add,
    parse_duration,
    parse_hours,
)
from inbox.domain.errors import ValidationFailed
from inbox.domain.models import Presence, RoutingStrategy
from inbox.wiring import Hub
from tests.routing.support import add_operator, customer_writes, routed_line


def test_durations_and_hours_parse() -> None:
    assert [parse_duration(x) for x in ("90", "90s", "2m", "1h", "1d")] == [
        90,
        90,
        120,
        3600,
        86400,
    ]
    assert [w.weekday for w in parse_hours("mon-fri 09:00-18:00")] == [0, 1, 2, 3, 4]
    assert [w.weekday for w in parse_hours("sat-mon 10:00-14:00")] == [5, 6, 0]
    with pytest.raises(ValidationFailed):
        parse_duration("soon")
    with pytest.raises(ValidationFailed):
        parse_hours("weekdays 9-6")


async def test_line_routing_changes_only_what_is_given(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    line = await routed_line(hub, max_hops=5)
    args = build_parser().parse_args(
        [
            "line",
            "routing",
            line.id,
            "--strategy",
            "round_robin",
            "--no-reply-timeout",
            "3m",
            "--keep-offline",
            "--no-match-language",
            "--timezone",
            "Europe/Kyiv",
            "--hours",
            "mon-fri 09:00-18:00",
            "--holiday",
            "2026-12-25",
            "--json",
        ]
    )
    await cmd_line_routing(hub, args)
    shown = json.loads(capsys.readouterr().out)
    stored = await hub.lines.get(line.id)
    assert stored.routing.strategy is RoutingStrategy.ROUND_ROBIN
    assert stored.routing.no_reply_timeout_s == 180
    assert stored.routing.offline_grace_s is None
    assert stored.routing.match_language is False
    assert stored.routing.max_hops == 5  # untouched
    assert stored.timezone == "Europe/Kyiv"
    assert len(stored.business_hours.windows) == 5
    assert stored.business_hours.holidays == ("2026-12-25",)
    assert shown["routing"]["strategy"] == "round_robin"


async def test_bad_values_are_refused(hub: Hub) -> None:
    line = await routed_line(hub)
    for bad in (["--max-hops", "-1"], ["--timezone", "Mars/Base"], ["--offline-grace", "x"]):
        args = build_parser().parse_args(["line", "routing", line.id, *bad])
        with pytest.raises(ValidationFailed):
            await cmd_line_routing(hub, args)
    assert (await hub.lines.get(line.id)).routing == line.routing


async def test_teams_presence_and_queue(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    boss = await add_operator(hub, "boss")
    capsys.readouterr()
    await cmd_team_add(
        hub,
        build_parser().parse_args(
            ["team", "add", "--name", "Sales", "--manager", boss.id, "--json"]
        ),
    )
    team = json.loads(capsys.readouterr().out)
    assert (await hub.teams.get(team["id"])).manager_id == boss.id
    line = await routed_line(hub)
    conv = await customer_writes(hub, line)
    capsys.readouterr()
    await cmd_queue(hub, build_parser().parse_args(["routing", "queue", "--json"]))
    assert [c["id"] for c in json.loads(capsys.readouterr().out)] == [conv.id]
    ann = await add_operator(hub, "ann")
    await cmd_presence(hub, build_parser().parse_args(["operator", "presence", ann.id, "online"]))
    assert "online" in capsys.readouterr().out
    assert (await hub.conversations.get(conv.id)).assignee_id == ann.id
    assert Presence.ONLINE in {p for p, _ in (await hub.routing.presence.all()).values()}  # type: ignore[union-attr]
