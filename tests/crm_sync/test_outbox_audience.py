"""An outbox failure is announced to the audience of the record it pushes: admins and the
managers of the record's conversation's team, not every manager (issue 18, item 5)."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient

from inbox.devfakes.bitrix24 import FakeBitrix24
from inbox.domain.models import CrmCreate, CrmRules, Role, RoutingRules, Team
from inbox.web.api.scope import scope_for
from inbox.wiring import Hub
from tests.helpers import api_body, make_line, operator_with_token, post_api


async def test_a_failed_push_is_announced_to_its_teams_managers_only(
    b24client: TestClient,  # type: ignore[type-arg]
    b24hub: Hub,
    portal: FakeBitrix24,
) -> None:
    hub = b24hub
    sales, support = (
        Team(name="Sales", created_at=hub.clock.now()),
        Team(name="Support", created_at=hub.clock.now()),
    )
    await hub.teams.add(sales)
    await hub.teams.add(support)
    line = await make_line(
        hub, crm=CrmRules(create=CrmCreate.DEAL), routing=RoutingRules(team_id=sales.id)
    )
    status, _ = await post_api(b24client, line, api_body("m-1", user_id="u-1", text="a sofa"))
    assert status == 200
    await hub.drain_background()
    portal.deny.add("crm.deal.add")
    await hub.crm_side.drainer.drain()

    entries = await hub.redis.xrange(hub.publisher.stream)
    events = [json.loads(fields[b"e"]) for _, fields in entries]
    [alert] = [e for e in events if e["data"].get("what") == "outbox.failed"]
    assert alert["team_id"] == sales.id
    own, _ = await operator_with_token(hub, "own", Role.MANAGER, teams=(sales.id,))
    other, _ = await operator_with_token(hub, "other", Role.MANAGER, teams=(support.id,))
    assert (await scope_for(hub, own)).sees_event(alert)
    assert not (await scope_for(hub, other)).sees_event(alert)
