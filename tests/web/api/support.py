"""Shared set-up of the API tests: two teams, operators of every role, queued conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient

from inbox.domain.models import Line, Operator, Role, RoutingRules, RoutingStrategy, Team
from inbox.security import hash_password
from inbox.wiring import Hub
from tests.helpers import api_body, make_line, post_api

PASSWORD = "correct horse battery"


async def make_operator(
    hub: Hub, login: str, role: Role = Role.OPERATOR, teams: tuple[str, ...] = (), **kw: Any
) -> Operator:
    operator = Operator(
        login=login, name=login.title(), role=role, teams=teams, created_at=hub.clock.now(), **kw
    )
    await hub.operators.add(operator, hash_password(PASSWORD))
    return operator


async def token_for(hub: Hub, operator: Operator) -> dict[str, str]:
    _, token = await hub.tokens.issue(operator.id, "tests", hub.clock.now())
    return {"Authorization": f"Bearer {token}"}


async def login(client: TestClient, login_name: str, password: str = PASSWORD) -> str:  # type: ignore[type-arg]
    """Log the client's cookie jar in; returns the CSRF token to send on unsafe requests."""
    resp = await client.post("/api/v1/auth/login", json={"login": login_name, "password": password})
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["csrf_token"])


@dataclass
class World:
    """Team A (Sales) and team B (Support), one line each, people of every role."""

    team_a: Team
    team_b: Team
    line_a: Line
    line_b: Line
    admin: Operator
    manager_a: Operator
    op_a: Operator
    op_a2: Operator
    op_b: Operator
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def h(self, who: Operator) -> dict[str, str]:
        return self.headers[who.id]


async def make_world(hub: Hub) -> World:
    now = hub.clock.now()
    team_a = Team(name="Sales", created_at=now)
    team_b = Team(name="Support", created_at=now)
    await hub.teams.add(team_a)
    await hub.teams.add(team_b)
    line_a = await make_line(
        hub,
        name="Sales API",
        routing=RoutingRules(team_id=team_a.id, strategy=RoutingStrategy.MANUAL),
    )
    line_b = await make_line(
        hub,
        name="Support API",
        routing=RoutingRules(team_id=team_b.id, strategy=RoutingStrategy.MANUAL),
    )
    world = World(
        team_a=team_a,
        team_b=team_b,
        line_a=line_a,
        line_b=line_b,
        admin=await make_operator(hub, "admin", Role.ADMIN),
        manager_a=await make_operator(hub, "manager", Role.MANAGER, (team_a.id,)),
        op_a=await make_operator(hub, "anna", Role.OPERATOR, (team_a.id,)),
        op_a2=await make_operator(hub, "andriy", Role.OPERATOR, (team_a.id,)),
        op_b=await make_operator(hub, "boris", Role.OPERATOR, (team_b.id,)),
    )
    for who in (world.admin, world.manager_a, world.op_a, world.op_a2, world.op_b):
        world.headers[who.id] = await token_for(hub, who)
    return world


async def customer_writes(
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    line: Line,
    message_id: str,
    *,
    user_id: str = "u-1",
    text: str = "hello",
    **extra: Any,
) -> str:
    """Post a signed API-channel message; returns the conversation id it landed in."""
    status, _ = await post_api(client, line, api_body(message_id, user_id, text, **extra))
    assert status == 200
    stored = await hub.messages.get_by_external(line.id, message_id)
    assert stored is not None
    await hub.drain_background()
    return stored.conversation_id
