"""Helpers for routing tests: operators, lines and customer messages through real ingest."""

from __future__ import annotations

import itertools
from typing import Any

from inbox.domain.inbound import InboundMessage
from inbox.domain.models import ChannelKind, Conversation, Line, Operator, RoutingRules, Team
from inbox.wiring import Hub
from routing.router import Router
from tests.helpers import make_line

_ids = itertools.count(1)


def router_of(hub: Hub) -> Router:
    assert hub.routing is not None
    return hub.routing


async def add_operator(hub: Hub, login: str, **fields: Any) -> Operator:
    operator = Operator(login=login, name=login.title(), created_at=hub.clock.now(), **fields)
    await hub.operators.add(operator, None)
    return operator


async def add_team(hub: Hub, name: str, manager_id: str | None = None) -> Team:
    return await hub.teams.add(Team(name=name, manager_id=manager_id, created_at=hub.clock.now()))


async def routed_line(hub: Hub, **rules: Any) -> Line:
    fields: dict[str, Any] = {}
    for key in ("business_hours", "timezone", "crm", "reopen_window_s"):
        if key in rules:
            fields[key] = rules.pop(key)
    return await make_line(hub, ChannelKind.API, routing=RoutingRules(**rules), **fields)


async def customer_writes(
    hub: Hub, line: Line, user: str = "u-1", *, language: str | None = None, text: str = "hi"
) -> Conversation:
    """One inbound message through persist and follow-up (the router hook runs)."""
    inbound = InboundMessage(
        external_id=f"m-{next(_ids)}",
        external_user_id=user,
        user_name=user,
        language=language,
        text=text,
    )
    persisted = await hub.ingest.persist(line, [inbound])
    await hub.ingest.follow_up(persisted)
    conv_id = persisted.stored[0].conversation.id if persisted.stored else None
    assert conv_id is not None
    return await hub.conversations.get(conv_id)
