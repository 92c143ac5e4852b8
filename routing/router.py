"""The router: :class:`inbox.domain.ports.Router` composed of parts that each own one thing.

==========================  ====================================================
part                        owns
==========================  ====================================================
:mod:`routing.pool`         the operator pool and the line cache
:mod:`routing.decision`     whom a conversation goes to; routing or queueing it
:mod:`routing.assignments`  the atomic take, the MongoDB commit, undo and release
:mod:`routing.reconcile`    rebuilding Redis from MongoDB
:mod:`routing.drain`        handing out the queue
:mod:`routing.presence`     presence and heartbeats
:mod:`routing.timers`       offline grace and no-reply reassignment
:mod:`routing.reactions`    what a stored message, a reply or a resolve changes
:mod:`routing.state`        the Redis keys and their Lua scripts
==========================  ====================================================

The parts import downwards only (state, pool, reconcile, assignments, decision, drain,
then presence, timers and reactions); this module composes them and decides what follows
a change: a freed slot drains the queue, a released conversation is routed again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import ValidationFailed
from inbox.domain.events import MessageStored
from inbox.domain.models import Contact, Conversation, Presence
from inbox.domain.ports import (
    AccountOwners,
    ContactRepository,
    ConversationRepository,
    EventPublisher,
    LineRepository,
    OperatorRepository,
    PresenceRepository,
    TeamRepository,
)
from routing import guard
from routing.assignments import Assignments
from routing.config import RouterConfig, now_ms
from routing.decision import Decider
from routing.drain import Drain
from routing.policies import Candidate, Request
from routing.pool import OperatorPool
from routing.presence import PresenceKeeper
from routing.reactions import Reactions
from routing.reconcile import Reconciler
from routing.state import RoutingState
from routing.timers import Timers

__all__ = ["Router", "RouterConfig"]

log = structlog.get_logger(__name__)


class Router:
    """The :class:`inbox.domain.ports.Router` with strategies, presence, timers and a queue."""

    def __init__(
        self,
        *,
        state: RoutingState,
        conversations: ConversationRepository,
        lines: LineRepository,
        contacts: ContactRepository,
        operators: OperatorRepository,
        teams: TeamRepository,
        presence: PresenceRepository,
        owners: AccountOwners | None,
        publisher: EventPublisher,
        clock: Clock,
        config: RouterConfig | None = None,
    ) -> None:
        config = config or RouterConfig()
        self.state = state
        self.conversations = conversations
        self.contacts = contacts
        self.presence = presence
        self.clock = clock
        self.pool = OperatorPool(
            state=state, operators=operators, lines=lines, clock=clock, config=config
        )
        self.reconciler = Reconciler(
            state=state,
            pool=self.pool,
            presence=presence,
            conversations=conversations,
            clock=clock,
            config=config,
        )
        self.assignments = Assignments(
            state=state,
            pool=self.pool,
            reconciler=self.reconciler,
            conversations=conversations,
            publisher=publisher,
            clock=clock,
            config=config,
        )
        self.decider = Decider(
            state=state,
            pool=self.pool,
            assignments=self.assignments,
            reconciler=self.reconciler,
            conversations=conversations,
            contacts=contacts,
            owners=owners,
            clock=clock,
            config=config,
        )
        self.drain = Drain(
            state=state,
            pool=self.pool,
            decider=self.decider,
            conversations=conversations,
            config=config,
        )
        self.keeper = PresenceKeeper(
            state=state,
            pool=self.pool,
            operators=operators,
            presence=presence,
            drain=self.drain,
            publisher=publisher,
            clock=clock,
            config=config,
        )
        self.timers = Timers(
            state=state,
            pool=self.pool,
            decider=self.decider,
            assignments=self.assignments,
            drain=self.drain,
            conversations=conversations,
            presence=presence,
            teams=teams,
            publisher=publisher,
            clock=clock,
        )
        self.reactions = Reactions(
            pool=self.pool,
            decider=self.decider,
            assignments=self.assignments,
            drain=self.drain,
            conversations=conversations,
            clock=clock,
        )
        self.teams = teams
        self._config = config

    @property
    def config(self) -> RouterConfig:
        """The tunables; setting them reaches every part."""
        return self._config

    @config.setter
    def config(self, value: RouterConfig) -> None:
        self._config = value
        for part in (self.pool, self.reconciler, self.assignments, self.decider, self.drain):
            part.config = value
        self.keeper.config = value

    # ------------------------------------------------------------ reads (tools, tests, bench)

    def now_ms(self) -> int:
        return now_ms(self.clock)

    async def operator_pool(self, *, fresh: bool = False) -> dict[str, Candidate]:
        return await self.pool.candidates(fresh=fresh)

    async def rank_pool(self, request: Request) -> list[Candidate]:
        return await self.decider.rank_pool(request)

    async def rank_top(self, request: Request) -> tuple[list[Candidate], bool] | None:
        return await self.decider.rank_top(request)

    @property
    def _routable(self) -> tuple[float, list[str]]:
        """The cached routable lines; kept as an attribute for tests that expire it."""
        return self.pool.routable

    @_routable.setter
    def _routable(self, value: tuple[float, list[str]]) -> None:
        self.pool.routable = value

    # ------------------------------------------------------------ routing

    async def route(self, conversation_id: str) -> Conversation:
        return await self.decider.route(await self.conversations.get(conversation_id))

    async def route_conversation(
        self,
        conv: Conversation,
        contact: Contact | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> Conversation:
        """Assign an unassigned open conversation if someone eligible is free, else queue it."""
        return await self.decider.route(conv, contact, exclude=exclude)

    async def on_message_stored(self, stored: MessageStored) -> None:
        """The ingest hook: route new and reopened conversations; replays are no-ops."""
        await self.reactions.message_stored(stored)

    # ------------------------------------------------------------ people acting

    async def claim(self, conversation_id: str, operator_id: str) -> Conversation:
        changed, freed = await self.assignments.hand_to(
            conversation_id, operator_id, reason="claim", by=operator_id, only_unassigned=True
        )
        return await self._drained(changed, freed)

    async def assign(
        self, conversation_id: str, operator_id: str, *, by: str | None, note: str | None = None
    ) -> Conversation:
        changed, freed = await self.assignments.hand_to(
            conversation_id, operator_id, reason="manager", by=by, note=note
        )
        return await self._drained(changed, freed)

    async def transfer(
        self,
        conversation_id: str,
        *,
        by: str | None,
        to_operator: str | None = None,
        to_team: str | None = None,
        note: str | None = None,
    ) -> Conversation:
        if to_operator is not None:
            changed, freed = await self.assignments.hand_to(
                conversation_id, to_operator, reason="transfer", by=by, note=note, team_id=to_team
            )
            return await self._drained(changed, freed)
        if to_team is None:
            raise ValidationFailed("transfer needs an operator or a team", code="no_target")
        await self.teams.get(to_team)
        conv = await self.conversations.get(conversation_id)
        released = await self.assignments.release(
            conv, reason="transfer", by=by, note=note, team_id=to_team
        )
        await self._drained(released, conv.assignee_id)
        return await self.decider.route(released)

    async def release(self, conversation_id: str, *, reason: str) -> Conversation:
        conv = await self.conversations.get(conversation_id)
        released = await self.assignments.release(conv, reason=reason)
        await self._drained(released, conv.assignee_id)
        gone = frozenset({conv.assignee_id}) if conv.assignee_id else frozenset()
        return await self.decider.route(released, exclude=gone)

    async def _drained(self, changed: Conversation, freed: str | None) -> Conversation:
        """After ``freed`` lost a conversation, their slot goes to the queue."""
        if freed:
            await self.drain()
        return changed

    async def on_reopened(self, conversation_id: str) -> Conversation:
        """A person reopened or a snooze woke a conversation: the ingest reopen path."""
        conv = await self.conversations.get(conversation_id)
        return await self.reactions.reopened(conv, await self.contacts.get(conv.contact_id))

    async def on_operator_reply(self, conversation_id: str, operator_id: str) -> None:
        await self.reactions.operator_replied(conversation_id)

    async def on_resolved(self, conversation_id: str) -> None:
        """Free the capacity slot now (MongoDB keeps the assignee as history)."""
        await self.reactions.resolved(conversation_id)

    # ------------------------------------------------------------ queue, presence, upkeep

    async def queue(self, limit: int = 100) -> list[Conversation]:
        return await self.conversations.queue(limit=limit)

    async def reconcile(self) -> int:
        """Rebuild the Redis view (holds, loads, capacities, presence) from MongoDB."""
        return await self.reconciler.reconcile()

    async def set_presence(self, operator_id: str, presence: Presence) -> None:
        await self.keeper.set(operator_id, presence)

    async def heartbeat(self, operator_id: str) -> None:
        await self.keeper.heartbeat(operator_id)

    async def sweep(self) -> int:
        """One pass of every timer; run by the worker every few seconds."""
        await self.reconciler.ensure_ready()
        done = 0
        timers: tuple[tuple[str, Callable[[], Awaitable[int]]], ...] = (
            ("presence_timeouts", self.keeper.timeouts),
            ("offline_grace", self.timers.offline_grace),
            ("no_reply", self.timers.no_reply),
            ("drain", self.drain),
        )
        for name, timer in timers:
            try:
                done += await timer()
            except guard.OUTAGE:
                raise  # Redis or MongoDB down: the worker's job logs it and tries next tick
            except Exception:  # one timer failing must not skip the others this tick
                log.exception("routing_timer_failed", timer=name)
        return done
