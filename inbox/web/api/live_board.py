"""The managers' live board: who waits and for how long, the queue, operators' presence and
load against capacity, and conversations at SLA risk sorted by time left. The page reloads
it when a live event arrives over the socket."""

from __future__ import annotations

from aiohttp import web

from inbox.domain.models import Role
from inbox.web.api.conversations import caller_scope
from inbox.web.api.registry import ApiRoutes, Body, respond
from inbox.web.keys import HUB

api = ApiRoutes(tag="reports")
AT_RISK_MAX = 20


class OperatorLoad(Body):
    operator_id: str
    name: str
    presence: str
    open: int
    capacity: int


class AtRisk(Body):
    conversation_id: str
    metric: str
    level: str
    left_s: float


class LiveBoard(Body):
    open: int
    unassigned: int
    waiting: int
    longest_wait_s: float | None
    operators: list[OperatorLoad]
    at_risk: list[AtRisk]


@api.route(
    "GET",
    "/reports/live",
    summary="Live now: waiting, longest wait, unassigned, operators' load, SLA risk",
    roles=(Role.MANAGER, Role.ADMIN),
    response=LiveBoard,
)
async def live(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    scope = await caller_scope(request)
    reporting = hub.reporting()
    now = hub.clock.now()
    board = await reporting.live(scope.mongo_filter(), now)
    presence = await reporting.presence()
    people = [
        o
        for o in await hub.operators.list()
        if o.active and (scope.is_admin or o.id in scope.members | {scope.operator.id})
    ]
    operators = [
        OperatorLoad(
            operator_id=o.id,
            name=o.name,
            presence=presence[o.id][0].value if o.id in presence else "offline",
            open=board["load"].get(o.id, 0),
            capacity=o.max_open,
        )
        for o in sorted(people, key=lambda o: o.name)
    ]
    at_risk: list[AtRisk] = []
    async for row in reporting.sla.open_rows():
        if not scope.sees(row.get("team_id"), row.get("assignee_id")):
            continue
        for state in await reporting.monitor.states(row):
            if state.level.value != "ok":
                at_risk.append(
                    AtRisk(
                        conversation_id=row["_id"],
                        metric=state.metric,
                        level=state.level.value,
                        left_s=round(state.left_s, 3),
                    )
                )
    at_risk.sort(key=lambda r: r.left_s)
    return respond(
        LiveBoard(
            open=board["open"],
            unassigned=board["unassigned"],
            waiting=board["waiting"],
            longest_wait_s=board["longest_wait_s"],
            operators=operators,
            at_risk=at_risk[:AT_RISK_MAX],
        )
    )
