"""One validation of a line's settings: the REST API and the CLI refuse the same values alike.

Each row is one bad value, sent once through the API (422 naming the field and the reason)
and once through the ``inbox`` command (one line on stderr, exit 2); the stored line is
unchanged either way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from inbox.domain.line_checks import InvalidLine, check_holiday, check_timezone
from inbox.wiring import Hub
from tests.helpers import run_inbox
from tests.web.api.support import make_world


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # "{id}" is the existing line
    body: dict[str, Any]
    cli: list[str]  # "{id}" is the existing line
    message: str


ADD = ["line", "add", "api", "--name", "New"]
ROUTING = ["line", "routing", "{id}"]
BIG = 2**63
CASES = [
    Case(
        "timezone path traversal",
        "POST",
        "/lines",
        {"kind": "api", "name": "New", "timezone": "../../etc/passwd"},
        [*ADD, "--timezone", "../../etc/passwd"],
        "timezone: unknown time zone '../../etc/passwd'",
    ),
    Case(
        "unknown timezone",
        "PATCH",
        "/lines/{id}",
        {"timezone": "Not/AZone"},
        [*ROUTING, "--timezone", "Not/AZone"],
        "timezone: unknown time zone 'Not/AZone'",
    ),
    Case(
        "impossible holiday",
        "PUT",
        "/lines/{id}/business-hours",
        {"holidays": ["2026-13-45"]},
        [*ROUTING, "--holiday", "2026-13-45"],
        "business_hours.holidays.0: not a real date: '2026-13-45'",
    ),
    Case(
        "holiday not a date",
        "PUT",
        "/lines/{id}/business-hours",
        {"holidays": ["notadate"]},
        [*ROUTING, "--holiday", "notadate"],
        "business_hours.holidays.0: not a date (YYYY-MM-DD): 'notadate'",
    ),
    Case(
        "unknown pipeline",
        "PATCH",
        "/lines/{id}",
        {"crm": {"create": "deal", "pipeline_id": "nope"}},
        ["line", "crm", "{id}", "--create", "deal", "--pipeline", "nope"],
        "crm.pipeline_id: unknown pipeline 'nope'",
    ),
    Case(
        "unknown responsible",
        "PATCH",
        "/lines/{id}",
        {"crm": {"create": "lead", "responsible": "ghost"}},
        ["line", "crm", "{id}", "--create", "lead", "--responsible", "ghost"],
        "crm.responsible: 'assignee' or an operator id, got 'ghost'",
    ),
    Case(
        "unknown team",
        "PUT",
        "/lines/{id}/routing",
        {"team_id": "no-such-team"},
        [*ROUTING, "--team", "no-such-team"],
        "routing.team_id: unknown team 'no-such-team'",
    ),
    Case(
        "dollar key",
        "POST",
        "/lines",
        {"kind": "api", "name": "New", "settings": {"$where": "1"}},
        [*ADD, "--set", "$where=1"],
        "settings.$where: a key may not start with '$' or contain '.'",
    ),
    Case(
        "dotted key",
        "PATCH",
        "/lines/{id}",
        {"settings": {"a.b": "1"}},
        [*ADD, "--set", "a.b=1"],
        "settings.a.b: a key may not start with '$' or contain '.'",
    ),
    Case(
        "not a url",
        "POST",
        "/lines",
        {"kind": "api", "name": "New", "settings": {"callback_url": "not-a-url"}},
        [*ADD, "--callback-url", "not-a-url"],
        "settings.callback_url: not an http(s) URL",
    ),
    Case(
        "hops out of range",
        "PUT",
        "/lines/{id}/routing",
        {"max_hops": 1000},
        [*ROUTING, "--max-hops", "1000"],
        "routing.max_hops: must be between 0 and 100",
    ),
    Case(
        "timeout over int64",
        "PUT",
        "/lines/{id}/routing",
        {"no_reply_timeout_s": BIG},
        [*ROUTING, "--no-reply-timeout", str(BIG)],
        "routing.no_reply_timeout_s: must be between 0 and 2592000",
    ),
]
IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_the_api_refuses_with_422_naming_the_field(
    client: TestClient,
    hub: Hub,
    case: Case,  # type: ignore[type-arg]
) -> None:
    world = await make_world(hub)
    before = await hub.lines.list()
    path = "/api/v1" + case.path.format(id=world.line_a.id)
    resp = await client.request(case.method, path, json=case.body, headers=world.h(world.admin))
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["message"] == case.message
    assert await hub.lines.list() == before  # nothing stored


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_the_cli_refuses_the_same_with_one_line_and_exit_2(
    hub: Hub, cli_env: dict[str, str], tmp_path: Path, case: Case
) -> None:
    world = await make_world(hub)
    before = await hub.lines.list()
    args = [a.format(id=world.line_a.id) for a in case.cli]
    done = await asyncio.to_thread(run_inbox, args, cli_env, tmp_path)
    assert (done.returncode, done.stderr.strip().splitlines()) == (2, [f"error: {case.message}"])
    assert await hub.lines.list() == before


async def test_good_values_pass_and_holidays_are_kept_sorted_once(
    client: TestClient,
    hub: Hub,  # type: ignore[type-arg]
) -> None:
    world = await make_world(hub)
    resp = await client.put(
        f"/api/v1/lines/{world.line_a.id}/business-hours",
        json={
            "windows": [{"weekday": 4, "start": "18:00", "end": "02:00"}],
            "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"],
        },
        headers=world.h(world.admin),
    )
    assert resp.status == 200
    stored = await hub.lines.get(world.line_a.id)
    assert stored.business_hours.holidays == ("2026-01-01", "2026-12-25")
    resp = await client.patch(
        f"/api/v1/lines/{world.line_a.id}",
        json={"timezone": "Europe/Kyiv", "settings": {"callback_url": "https://x.example/cb"}},
        headers=world.h(world.admin),
    )
    assert resp.status == 200
    assert (await hub.lines.get(world.line_a.id)).timezone == "Europe/Kyiv"


@pytest.mark.parametrize(
    "name", ["Europe", "/etc/localtime", "Europe/../Europe/Kyiv", "UTC\x00", "x" * 300, ""]
)
def test_time_zone_names_outside_the_zone_database_are_refused(name: str) -> None:
    with pytest.raises(InvalidLine) as caught:
        check_timezone(name)
    assert caught.value.field == "timezone"


@pytest.mark.parametrize(
    "text", ["2026-02-30", "0000-01-01", "2026-1-1", "20260101", "2026-01-01T00"]
)
def test_holidays_must_be_real_calendar_dates(text: str) -> None:
    with pytest.raises(InvalidLine):
        check_holiday(text)
