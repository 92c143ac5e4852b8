"""CRM team scoping: what the audience costs on lists and single-record checks.

Two teams, one line each, ``n`` customers per team with a lead each (the real ingest and
auto-create hook). Measured through the same guard the API uses: building a caller's
audience (one ``distinct`` over conversations plus one over contacts), the narrowed lead
list, and the 404-or-record check of one lead. The admin's unfiltered list is the floor.
"""

from __future__ import annotations

import time

from bench.common import Context, Row, latency_row
from inbox.domain.clock import FrozenClock
from inbox.domain.errors import NotFound
from inbox.domain.inbound import InboundMessage
from inbox.domain.models import (
    ChannelKind,
    CrmCreate,
    CrmRules,
    Operator,
    Role,
    RoutingRules,
    RoutingStrategy,
    Team,
)
from inbox.services.lines import LineAdmin
from inbox.web.api.scope import scope_for
from inbox.web.crm_scope import CrmGuard
from inbox.wiring import Hub, open_hub

SECTION = "crm scope"


async def _person(hub: Hub, login: str, role: Role, teams: tuple[str, ...]) -> Operator:
    operator = Operator(login=login, name=login, role=role, teams=teams, created_at=hub.clock.now())
    return await hub.operators.add(operator, None)


async def run(ctx: Context) -> list[Row]:
    n = 30 if ctx.quick else 250  # customers per team
    rounds = 10 if ctx.quick else 50
    settings = ctx.settings()
    rows: list[Row] = []
    async with open_hub(settings, clock=FrozenClock()) as hub:
        admin_api = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
        teams = [Team(name=name, created_at=hub.clock.now()) for name in ("A", "B")]
        lead_ids: dict[str, list[str]] = {}
        for team in teams:
            await hub.teams.add(team)
            line = await admin_api.create(
                ChannelKind.API,
                f"line {team.name}",
                routing=RoutingRules(team_id=team.id, strategy=RoutingStrategy.MANUAL),
                crm=CrmRules(create=CrmCreate.LEAD, b2b=True),
            )
            for i in range(n):
                inbound = InboundMessage(
                    external_id=f"{team.name}-{i}",
                    external_user_id=f"{team.name}-u{i}",
                    user_name="Ann",
                    text="hi",
                )
                persisted = await hub.ingest.persist(line, [inbound])
                await hub.crm_side.hook.on_message_stored(persisted.stored[0])
            leads = await hub.crm_side.stores.leads.list(limit=2 * n + 10)
            lead_ids[team.id] = [x.id for x in leads if x.line_id == line.id]
        team_a, team_b = teams
        people = {
            "admin": await _person(hub, "admin", Role.ADMIN, ()),
            "manager": await _person(hub, "manager", Role.MANAGER, (team_a.id,)),
            "operator": await _person(hub, "operator", Role.OPERATOR, (team_a.id,)),
        }
        for label, who in people.items():
            audience_s: list[float] = []
            list_s: list[float] = []
            started = time.perf_counter()
            shown = 0
            for _ in range(rounds):
                t0 = time.perf_counter()
                guard = CrmGuard(hub=hub, scope=await scope_for(hub, who))
                audience = await guard.audience()
                t1 = time.perf_counter()
                found = await hub.crm_side.stores.leads.list(limit=100, audience=audience)
                list_s.append(time.perf_counter() - t1)
                audience_s.append(t1 - t0)
                shown = len(found)
            elapsed = time.perf_counter() - started
            note = f"{2 * n} leads, {shown} listed"
            rows.append(latency_row(SECTION, f"{label}: build audience", audience_s, elapsed))
            rows.append(latency_row(SECTION, f"{label}: lead list (100)", list_s, elapsed, note))
        floor: list[float] = []
        started = time.perf_counter()
        for _ in range(rounds):
            t0 = time.perf_counter()
            await hub.crm_side.stores.leads.get(lead_ids[team_a.id][0])
            floor.append(time.perf_counter() - t0)
        rows.append(
            latency_row(
                SECTION, "lead read, no check (floor)", floor, time.perf_counter() - started
            )
        )
        for label, lead_id in (
            ("own team", lead_ids[team_a.id][0]),
            ("other team", lead_ids[team_b.id][0]),
        ):
            checks: list[float] = []
            started = time.perf_counter()
            for _ in range(rounds):
                guard = CrmGuard(hub=hub, scope=await scope_for(hub, people["operator"]))
                t0 = time.perf_counter()
                try:
                    await guard.lead(lead_id)  # the read plus the check, as the API does
                    allowed = True
                except NotFound:
                    allowed = False
                checks.append(time.perf_counter() - t0)
            rows.append(
                latency_row(
                    SECTION,
                    f"operator: lead read + check, {label}",
                    checks,
                    time.perf_counter() - started,
                    "allowed" if allowed else "404",
                )
            )
        await hub.db.client.drop_database(settings.mongo_db)
    return rows
