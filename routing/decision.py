"""The decision: whom a conversation goes to, and routing it (or queueing it).

The policies (:mod:`routing.policies`) rank the eligible operators from a snapshot (least
busy: only the head of the availability index, see :meth:`Decider.rank_top`); the assign
script then takes the first candidate still free (:meth:`Assignments.take`), and
:meth:`Assignments.commit` writes it to MongoDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Line,
    Presence,
    RoutingStrategy,
)
from inbox.domain.ports import AccountOwners, ContactRepository, ConversationRepository
from routing import guard, policies
from routing.assignments import Assignments
from routing.config import CHUNK, RouterConfig
from routing.policies import Candidate, Request
from routing.pool import OperatorPool
from routing.reconcile import Reconciler
from routing.state import Decision, RoutingState, index_language


@dataclass(kw_only=True, eq=False)
class Decider:
    """Ranks the pool for a conversation and takes a hold for the first one free."""

    state: RoutingState
    pool: OperatorPool
    assignments: Assignments
    reconciler: Reconciler
    conversations: ConversationRepository
    contacts: ContactRepository
    owners: AccountOwners | None
    clock: Clock
    config: RouterConfig

    async def _sticky(self, conv: Conversation, line: Line, contact: Contact | None) -> str | None:
        rules = line.routing
        if rules.sticky_minutes <= 0:
            return None
        if line.crm.b2b and rules.sticky_owner and self.owners is not None and contact:
            owner = await self.owners.owner_of(contact)
            if owner:
                return owner
        last = await self.conversations.last_served_by(conv.contact_id, conv.line_id)
        return last[0] if last else None

    async def request(
        self,
        conv: Conversation,
        line: Line,
        contact: Contact | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> tuple[Request, str | None]:
        """What a decision on ``conv`` is about, and the sticky operator."""
        rules = line.routing
        team = conv.team_id or rules.team_id
        if contact is None and (rules.match_language or rules.sticky_minutes > 0):
            try:
                contact = await self.contacts.get(conv.contact_id)
            except NotFound:
                contact = None
        excluded = exclude | policies.lapsed_operators(conv.hops)
        sticky = await self._sticky(conv, line, contact)
        if sticky in excluded:
            sticky = None  # they let it lapse: no waiting for them
        offset = 0
        if rules.strategy is RoutingStrategy.ROUND_ROBIN:
            offset = await self.state.next_turn(team or line.id)
        request = Request(
            rules=rules,
            team_id=team,
            language=contact.language if contact else None,
            sticky_to=sticky,
            exclude=excluded,
            rr_offset=offset,
        )
        return request, sticky

    async def rank_pool(self, request: Request) -> list[Candidate]:
        """The whole pool ranked from a snapshot (linear in the pool)."""
        team = request.team_id
        ops = await self.pool.candidates()
        pool = [c for c in ops.values() if team is None or team in c.teams]
        snap = await self.state.snapshot([c.id for c in pool])
        if not snap.ready:  # a restarted or flushed Redis: rebuild before deciding
            await self.reconciler.reconcile()
            snap = await self.state.snapshot([c.id for c in pool])
        online = Presence.ONLINE.value
        # offline operators are dropped here already (online_only would drop them anyway):
        # at thousands of operators, building their snapshots costs more than the decision
        cands = [
            Candidate(
                c.id,
                c.teams,
                c.languages,
                c.max_open,
                Presence.ONLINE,
                snap.load.get(c.id, 0),
                snap.last.get(c.id, 0),
            )
            for c in pool
            if snap.presence.get(c.id) == online
        ]
        return policies.rank(cands, request)

    @staticmethod
    def indexed(request: Request) -> bool:
        """The availability index orders like this request's strategy (least busy)."""
        rules = request.rules
        return rules.strategy is RoutingStrategy.LEAST_BUSY and rules.respect_capacity

    async def rank_top(self, request: Request) -> tuple[list[Candidate], bool] | None:
        """Rank only the head of the availability index (plus the sticky operator).

        Returns the ranked candidates and whether they are the whole eligible pool
        (``complete``), or None when the head cannot stand for the pool (everyone in it
        filtered out): the caller ranks the pool. The list is always a prefix of what
        :meth:`rank_pool` returns: with a customer language, the head of the pool's
        speakers comes first, and non-speakers are added only when every speaker was read.
        """
        ops = await self.pool.candidates()
        lang = None
        if request.rules.match_language and request.language:
            lang = request.language.lower().split("-")[0]
            if not index_language(lang):
                return None  # no index for it (nobody indexed speaks it anyway)
        k, team, sticky = self.config.top_k, request.team_id, request.sticky_to
        got = await self.state.top(team, k, sticky, lang)
        if not got.ready:  # a restarted or flushed Redis: rebuild before deciding
            await self.reconciler.reconcile()
            got = await self.state.top(team, k, sticky, lang)
        everyone = got.size <= len(got.head)
        found: dict[str, tuple[int, int]] = {}
        if got.speakers is not None:
            found.update((op, (load, last)) for op, load, last in got.speakers)
            speakers_all = got.speakers_size <= len(got.speakers)
        else:
            speakers_all = True
        if speakers_all:
            found.update((op, (load, last)) for op, load, last in got.head)
        if sticky is not None and got.also is not None:
            found[sticky] = got.also
        cands = []
        for op, (load, last) in found.items():
            static = ops.get(op)
            if static is not None:  # an operator removed meanwhile stays out
                cands.append(
                    static._replace(presence=Presence.ONLINE, open=load, last_assigned_ms=last)
                )
        ranked = policies.rank(cands, request)
        if speakers_all and everyone:
            return ranked, True
        return (ranked, False) if ranked else None

    async def choose(
        self,
        conv: Conversation,
        line: Line,
        contact: Contact | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> Decision:
        """Rank and take a hold in Redis for ``conv`` (the decision, without MongoDB)."""
        now = self.clock.now()
        request, sticky = await self.request(conv, line, contact, exclude=exclude)
        top = await self.rank_top(request) if self.indexed(request) else None
        if top is not None:
            ranked, complete = top
            queued = conv.queued_at or conv.created_at
            if policies.wait_for_sticky(sticky, ranked, line.routing, queued, now):
                return Decision("waiting", None)
            decision = await self._take_first(conv, line, [c.id for c in ranked])
            if decision.status != "none" or complete:
                return decision
            # everyone in the head was taken meanwhile: fall back to the whole pool
        ranked = await self.rank_pool(request)
        queued = conv.queued_at or conv.created_at
        if policies.wait_for_sticky(sticky, ranked, line.routing, queued, now):
            return Decision("waiting", None)
        return await self._take_first(conv, line, [c.id for c in ranked])

    async def _take_first(self, conv: Conversation, line: Line, ids: Sequence[str]) -> Decision:
        """Offer the ranked operators to the script in chunks until one takes it."""
        decision = Decision("none", None)
        for start in range(0, len(ids), CHUNK):
            decision = await self.assignments.take(
                conv.id,
                expected=conv.assignee_id,
                candidates=ids[start : start + CHUNK],
                check_capacity=line.routing.respect_capacity,
                check_presence=True,
            )
            if decision.status != "none":
                break
        return decision

    async def route(
        self,
        conv: Conversation,
        contact: Contact | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> Conversation:
        """Assign an unassigned open conversation if someone eligible is free, else queue it."""
        if conv.assignee_id is not None or conv.status is not ConversationStatus.OPEN:
            return conv
        if conv.needs_attention:
            return conv  # escalated: a person decides
        line = await self.pool.line(conv.line_id)
        if line.routing.strategy is RoutingStrategy.MANUAL or not line.enabled:
            return conv
        if not guard.open_now(line, self.clock.now()):
            await self.assignments.enqueue(conv)
            return conv
        decision = await self.choose(conv, line, contact, exclude=exclude)
        if decision.status == "conflict":
            return await self.conversations.get(conv.id)
        if decision.status != "ok":
            await self.assignments.enqueue(conv)
            return conv
        try:
            return await self.assignments.commit(
                conv, to=decision.operator, reason="routed", line=line
            )
        except Conflict:
            return await self.conversations.get(conv.id)
