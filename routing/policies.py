"""Routing policies: small pure functions over plain data, composed into one chain.

Each policy takes the candidates and the request and returns a (filtered or reordered)
list; :func:`rank` runs the chain. Nothing here does I/O or reads the clock: the router
snapshots operators, presence and load from Redis and passes ``now`` in. The ranked list
is a preference, not a decision: the Lua script takes the first candidate that is still
online and below capacity at the moment it runs, atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from inbox.domain.models import Conversation, Hop, Presence, RoutingRules, RoutingStrategy

# Hops a person made on purpose: they end a chain of automatic no-reply reassignments.
HUMAN_REASONS = frozenset({"claim", "transfer", "manager"})


class Candidate(NamedTuple):
    """One operator as the router sees it at decision time (a tuple: cheap to build)."""

    id: str
    teams: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # lower-case codes
    max_open: int = 10
    presence: Presence = Presence.OFFLINE
    open: int = 0
    last_assigned_ms: int = 0  # 0: never; older means idle longer


@dataclass(frozen=True, slots=True)
class Request:
    """What one routing decision is about."""

    rules: RoutingRules
    team_id: str | None = None
    language: str | None = None
    sticky_to: str | None = None
    exclude: frozenset[str] = field(default_factory=frozenset)
    rr_offset: int = 0


Policy = Callable[[Sequence[Candidate], Request], list[Candidate]]


def not_excluded(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Operators who already let this conversation lapse are skipped."""
    return [c for c in cands if c.id not in req.exclude]


def online_only(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Away and offline operators get nothing new."""
    return [c for c in cands if c.presence is Presence.ONLINE]


def in_team(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Members of the conversation's team, when it has one."""
    if req.team_id is None:
        return list(cands)
    return [c for c in cands if req.team_id in c.teams]


def with_room(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Capacity-aware: skip operators at their ``max_open``."""
    if not req.rules.respect_capacity:
        return list(cands)
    return [c for c in cands if c.open < c.max_open]


def least_busy(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Fewest open conversations first; ties to the one idle longest."""
    return sorted(cands, key=lambda c: (c.open, c.last_assigned_ms, c.id))


def most_room(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Lowest share of capacity in use first (a 2/10 operator before a 1/2 one)."""
    return sorted(
        cands,
        key=lambda c: (c.open / c.max_open if c.max_open else 1.0, c.last_assigned_ms, c.id),
    )


def round_robin(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """A stable order (by id) rotated by a shared counter: each operator in turn."""
    ordered = sorted(cands, key=lambda c: c.id)
    if not ordered:
        return ordered
    k = req.rr_offset % len(ordered)
    return ordered[k:] + ordered[:k]


STRATEGY_ORDER: dict[RoutingStrategy, Policy] = {
    RoutingStrategy.ROUND_ROBIN: round_robin,
    RoutingStrategy.LEAST_BUSY: least_busy,
    RoutingStrategy.CAPACITY: most_room,
    RoutingStrategy.MANUAL: lambda cands, req: [],  # operators take chats themselves
}


def by_strategy(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    return STRATEGY_ORDER[req.rules.strategy](cands, req)


def language_first(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """Speakers of the customer's language first, keeping the strategy's order inside."""
    if not req.rules.match_language or not req.language:
        return list(cands)
    lang = req.language.lower().split("-")[0]
    speaks = [lang in c.languages for c in cands]
    return [c for c, s in zip(cands, speaks, strict=True) if s] + [
        c for c, s in zip(cands, speaks, strict=True) if not s
    ]


def sticky_first(cands: Sequence[Candidate], req: Request) -> list[Candidate]:
    """The operator who last served the customer (or the account owner) goes first."""
    if req.sticky_to is None:
        return list(cands)
    return [c for c in cands if c.id == req.sticky_to] + [c for c in cands if c.id != req.sticky_to]


CHAIN: tuple[Policy, ...] = (
    not_excluded,
    online_only,
    in_team,
    with_room,
    by_strategy,
    language_first,
    sticky_first,
)


def rank(
    cands: Sequence[Candidate], req: Request, chain: Sequence[Policy] = CHAIN
) -> list[Candidate]:
    """Run the chain: eligible operators, most preferred first."""
    out = list(cands)
    for policy in chain:
        out = policy(out, req)
    return out


# ------------------------------------------------------------------ timers as pure rules


def wait_for_sticky(
    sticky_to: str | None,
    ranked: Sequence[Candidate],
    rules: RoutingRules,
    queued_at: datetime | None,
    now: datetime,
) -> bool:
    """Keep a returning customer queued for their operator for up to ``sticky_minutes``."""
    if sticky_to is None or rules.sticky_minutes <= 0 or queued_at is None:
        return False
    if any(c.id == sticky_to for c in ranked):
        return False  # available now: no need to wait
    return now < queued_at + timedelta(minutes=rules.sticky_minutes)


def customer_waiting(conversation: Conversation) -> bool:
    """The customer's last message came after the operators' last one."""
    last_in = conversation.last_customer_message_at
    last_out = conversation.last_operator_message_at
    return last_in is not None and (last_out is None or last_in > last_out)


def reply_due(conversation: Conversation, rules: RoutingRules, now: datetime) -> datetime | None:
    """When the assignee must have answered, counted from now; None if nobody waits."""
    if not customer_waiting(conversation):
        return None
    return now + timedelta(seconds=rules.no_reply_timeout_s)


def answered_since_assignment(conversation: Conversation) -> bool:
    """The assignee wrote after both the assignment and the customer's last message."""
    out = conversation.last_operator_message_at
    if out is None:
        return False
    if conversation.assigned_at is not None and out < conversation.assigned_at:
        return False
    return not customer_waiting(conversation)


def lapse_chain(hops: Sequence[Hop]) -> list[Hop]:
    """The trailing no-reply hops, back to the last hop a person made."""
    chain: list[Hop] = []
    for hop in reversed(hops):
        if hop.reason in HUMAN_REASONS:
            break
        if hop.reason == "no_reply":
            chain.append(hop)
    return chain


def lapsed_operators(hops: Sequence[Hop]) -> frozenset[str]:
    """Operators who let this conversation lapse in the current chain: not offered again."""
    return frozenset(h.from_operator for h in lapse_chain(hops) if h.from_operator)


def out_of_hops(hops: Sequence[Hop], rules: RoutingRules) -> bool:
    """One more no-reply reassignment would exceed ``max_hops``."""
    return len(lapse_chain(hops)) >= rules.max_hops


def grace_over(rules: RoutingRules, offline_since: datetime, now: datetime) -> bool:
    """An offline operator's chats go back to the queue after the line's grace period."""
    if rules.offline_grace_s is None:
        return False  # keep them
    return now >= offline_since + timedelta(seconds=rules.offline_grace_s)
