"""The router: assigns conversations through one atomic path, Redis first, MongoDB second.

Every change of assignee goes the same way:

1. the policies (:mod:`routing.policies`) rank the eligible operators from a snapshot
   (least busy: only the head of the availability index, see :meth:`Router.rank_top`);
2. a Lua script (:mod:`routing.state`) takes the first candidate that is still online and
   below capacity, checks the conversation is still held by whom the caller saw, and moves
   the capacity counters, all in one step;
3. MongoDB gets a conditional update (``set_assignee(expected=...)``) recording a hop;
   if that loses a race, the Redis hold is put back to what MongoDB says.

A crash between 2 and 3 leaves a Redis hold that MongoDB never saw: after a grace period
the next decision or the periodic :meth:`Router.reconcile` drops it and recounts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict, NotFound, ValidationFailed
from inbox.domain.events import Event, MessageStored, conversation_event
from inbox.domain.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Hop,
    Line,
    Presence,
    RoutingStrategy,
)
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
from routing import guard, policies
from routing.drain import drain
from routing.policies import Candidate, Request
from routing.presence import heartbeat, presence_timeouts, set_presence
from routing.state import ANY, Decision, RoutingState, index_language
from routing.timers import no_reply, offline_grace

log = structlog.get_logger(__name__)

CHUNK = 16  # candidates offered to one script call; the next chunk only if all were taken
TOP_K = 32  # operators read from the availability index before falling back to the pool


def _langs(codes: Sequence[str]) -> tuple[str, ...]:
    """Language codes as the policies compare them: lower case, without region."""
    return tuple(x.lower().split("-")[0] for x in codes)


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """Tunables from ``INBOX_ROUTING__*`` (see docs/routing.md)."""

    heartbeat_timeout_s: float = 60.0
    stale_after_s: float = 10.0  # a Redis hold MongoDB has not confirmed by then is dropped
    cache_s: float = 2.0  # operators and lines are re-read this often
    drain_batch: int = 50
    top_k: int = TOP_K  # operators read from the availability index per decision


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
        config: RouterConfig = RouterConfig(),
    ) -> None:
        self.state = state
        self.conversations = conversations
        self.lines = lines
        self.contacts = contacts
        self.operators = operators
        self.teams = teams
        self.presence = presence
        self.owners = owners
        self.publisher = publisher
        self.clock = clock
        self.config = config
        self._ops: dict[str, Candidate] = {}
        self._ops_at = -1e9
        self._caps: dict[str, int] = {}
        self._teams: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._lines: dict[str, tuple[float, Line]] = {}
        self._routable: tuple[float, list[str]] = (-1e9, [])

    # ------------------------------------------------------------ cached reads

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def _stale_before_ms(self) -> int:
        return self.now_ms() - int(self.config.stale_after_s * 1000)

    async def operator_pool(self, *, fresh: bool = False) -> dict[str, Candidate]:
        """Active operators as candidates (static fields); capacities pushed to Redis."""
        if fresh or time.monotonic() - self._ops_at > self.config.cache_s:
            ops = await self.operators.list()
            self._ops = {
                o.id: Candidate(o.id, o.teams, _langs(o.languages), o.max_open)
                for o in ops
                if o.active
            }
            caps = {o.id: (o.max_open if o.active else 0) for o in ops}
            teams = {o.id: (tuple(o.teams), _langs(o.languages)) for o in ops}
            if caps != self._caps or teams != self._teams:
                await self.state.set_capacities(
                    caps, {k: v[0] for k, v in teams.items()}, {k: v[1] for k, v in teams.items()}
                )
                self._caps, self._teams = caps, teams
            self._ops_at = time.monotonic()
        return self._ops

    async def line(self, line_id: str) -> Line:
        hit = self._lines.get(line_id)
        if hit is not None and time.monotonic() - hit[0] <= self.config.cache_s:
            return hit[1]
        line = await self.lines.get(line_id)
        self._lines[line_id] = (time.monotonic(), line)
        return line

    async def routable_lines(self) -> list[str]:
        """Lines whose queue the router distributes now: enabled, automatic, open hours."""
        at, ids = self._routable
        if time.monotonic() - at > self.config.cache_s:
            now, lines = self.clock.now(), await self.lines.list()
            guard.report(lines, now)  # a line with unusable settings is routed with defaults
            ids = [
                x.id
                for x in lines
                if x.enabled
                and x.routing.strategy is not RoutingStrategy.MANUAL
                and guard.open_now(x, now)
            ]
            self._routable = (time.monotonic(), ids)
        return ids

    # ------------------------------------------------------------ the decision

    async def _ensure_ready(self) -> None:
        if not await self.state.ready():
            await self.reconcile()

    async def _take(
        self,
        conversation_id: str,
        *,
        expected: str | None,
        candidates: Sequence[str],
        check_capacity: bool,
        check_presence: bool,
    ) -> Decision:
        """The atomic step; a Redis without its state is rebuilt first."""
        for _ in range(2):
            decision = await self.state.assign(
                conversation_id,
                expected=expected,
                candidates=candidates,
                now_ms=self.now_ms(),
                stale_before_ms=self._stale_before_ms(),
                check_capacity=check_capacity,
                check_presence=check_presence,
            )
            if decision.status != "not_ready":
                return decision
            await self.reconcile()
        return decision

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

    async def ranked(
        self,
        conv: Conversation,
        line: Line,
        contact: Contact | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> tuple[list[Candidate], str | None]:
        """Eligible operators for ``conv``, most preferred first, and the sticky one."""
        request, sticky = await self.request(conv, line, contact, exclude=exclude)
        return await self.rank_pool(request), sticky

    async def rank_pool(self, request: Request) -> list[Candidate]:
        """The whole pool ranked from a snapshot (linear in the pool)."""
        team = request.team_id
        pool = [c for c in (await self.operator_pool()).values() if team is None or team in c.teams]
        snap = await self.state.snapshot([c.id for c in pool])
        if not snap.ready:  # a restarted or flushed Redis: rebuild before deciding
            await self.reconcile()
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
        ops = await self.operator_pool()
        lang = None
        if request.rules.match_language and request.language:
            lang = request.language.lower().split("-")[0]
            if not index_language(lang):
                return None  # no index for it (nobody indexed speaks it anyway)
        k, team, sticky = self.config.top_k, request.team_id, request.sticky_to
        got = await self.state.top(team, k, sticky, lang)
        if not got.ready:  # a restarted or flushed Redis: rebuild before deciding
            await self.reconcile()
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
            decision = await self._take(
                conv.id,
                expected=conv.assignee_id,
                candidates=ids[start : start + CHUNK],
                check_capacity=line.routing.respect_capacity,
                check_presence=True,
            )
            if decision.status != "none":
                break
        return decision

    async def _commit(
        self,
        conv: Conversation,
        *,
        to: str | None,
        reason: str,
        by: str | None = None,
        note: str | None = None,
        team_id: str | None = None,
        needs_attention: bool = False,
        line: Line | None = None,
    ) -> Conversation:
        """Write the change Redis already made to MongoDB, or undo it when MongoDB disagrees."""
        now = self.clock.now()
        line = line or await self.line(conv.line_id)
        hop = Hop(
            at=now,
            from_operator=conv.assignee_id,
            to_operator=to,
            to_team=team_id,
            reason=reason,
            by=by,
            note=note,
        )
        changed = await self.conversations.set_assignee(
            conv.id,
            expected=conv.assignee_id,
            assignee=to,
            team_id=team_id if team_id is not None else conv.team_id,
            hop=hop,
            needs_attention=needs_attention,
            reply_due_at=policies.reply_due(conv, line.routing, now) if to else None,
        )
        if changed is None:
            truth = await self.conversations.get(conv.id)
            holder = truth.assignee_id if truth.status is not ConversationStatus.RESOLVED else None
            await self.state.move(conv.id, from_op=to, to_op=holder, now_ms=self.now_ms())
            raise Conflict("the conversation changed meanwhile", code="assignment_conflict")
        if to is not None:
            await self.state.dequeue(conv.line_id, conv.id)
        log.info(
            "conversation_assigned",
            conversation_id=conv.id,
            from_operator=conv.assignee_id,
            to_operator=to,
            reason=reason,
        )
        await self._publish(
            conversation_event(
                "conversation.assigned", changed, now, hop=hop.model_dump(mode="json")
            )
        )
        return changed

    async def _publish(self, event: Event) -> None:
        try:
            await self.publisher.publish(event)
        except Exception:  # live updates are best effort; the change is stored
            log.exception("routing_publish_failed", event_type=event.type)

    # ------------------------------------------------------------ routing

    async def route(self, conversation_id: str) -> Conversation:
        return await self.route_conversation(await self.conversations.get(conversation_id))

    async def route_conversation(
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
        line = await self.line(conv.line_id)
        if line.routing.strategy is RoutingStrategy.MANUAL or not line.enabled:
            return conv
        if not guard.open_now(line, self.clock.now()):
            await self._enqueue(conv)
            return conv
        decision = await self.choose(conv, line, contact, exclude=exclude)
        if decision.status == "conflict":
            return await self.conversations.get(conv.id)
        if decision.status != "ok":
            await self._enqueue(conv)
            return conv
        try:
            return await self._commit(conv, to=decision.operator, reason="routed", line=line)
        except Conflict:
            return await self.conversations.get(conv.id)

    async def _enqueue(self, conv: Conversation) -> None:
        queued = conv.queued_at or conv.created_at
        score = self.state.queue_score(conv.priority, int(queued.timestamp() * 1000))
        await self.state.enqueue(conv.line_id, conv.id, score)

    async def on_message_stored(self, stored: MessageStored) -> None:
        """The ingest hook: route new and reopened conversations; replays are no-ops."""
        conv = await self.conversations.get(stored.conversation.id)
        if conv.status is not ConversationStatus.OPEN:
            return
        if conv.assignee_id is None:
            await self.route_conversation(conv, stored.contact)
            return
        line = await self.line(conv.line_id)
        if stored.reopened:
            await self._retake(conv, line, stored.contact)
            return
        due = policies.reply_due(conv, line.routing, self.clock.now())
        if due is not None:
            await self.conversations.set_reply_due(conv.id, due, only_if_unset=True)

    async def _retake(self, conv: Conversation, line: Line, contact: Contact) -> None:
        """A reopened conversation goes back to its operator if they can take it now."""
        holder = conv.assignee_id
        assert holder is not None
        decision = await self._take(
            conv.id,
            expected=holder,
            candidates=[holder],
            check_capacity=line.routing.respect_capacity,
            check_presence=True,
        )
        if decision.status == "ok":
            due = policies.reply_due(conv, line.routing, self.clock.now())
            await self.conversations.set_reply_due(conv.id, due)
            return
        if decision.status == "conflict":
            return  # someone else changed it meanwhile
        moved = await self.state.move(conv.id, from_op=holder, to_op=None, now_ms=self.now_ms())
        log.debug("reopened_release", conversation_id=conv.id, moved=moved)
        try:
            released = await self._commit(conv, to=None, reason="released", note="reopened")
        except Conflict:
            return
        await self.route_conversation(released, contact)

    # ------------------------------------------------------------ people acting

    async def _to_operator(
        self,
        conversation_id: str,
        operator_id: str,
        *,
        reason: str,
        by: str | None,
        note: str | None = None,
        team_id: str | None = None,
        only_unassigned: bool = False,
    ) -> Conversation:
        conv = await self.conversations.get(conversation_id)
        if conv.status is ConversationStatus.RESOLVED:
            raise Conflict("the conversation is resolved", code="conversation_resolved")
        if only_unassigned and conv.assignee_id is not None:
            raise Conflict("the conversation is already assigned", code="already_assigned")
        if conv.assignee_id == operator_id:
            return conv
        operator = (await self.operator_pool(fresh=True)).get(operator_id)
        if operator is None:
            raise NotFound(f"operator {operator_id} not found", code="operator_not_found")
        line = await self.line(conv.line_id)
        decision = await self._take(
            conv.id,
            expected=conv.assignee_id,
            candidates=[operator_id],
            check_capacity=line.routing.respect_capacity,
            check_presence=False,  # a person chose them; capacity still holds
        )
        if decision.status == "conflict":
            raise Conflict("the conversation changed meanwhile", code="assignment_conflict")
        if decision.status != "ok":
            raise Conflict("the operator has no free capacity", code="operator_at_capacity")
        freed = conv.assignee_id
        changed = await self._commit(
            conv, to=operator_id, reason=reason, by=by, note=note, team_id=team_id, line=line
        )
        if freed:
            await self.drain()
        return changed

    async def claim(self, conversation_id: str, operator_id: str) -> Conversation:
        return await self._to_operator(
            conversation_id, operator_id, reason="claim", by=operator_id, only_unassigned=True
        )

    async def assign(
        self, conversation_id: str, operator_id: str, *, by: str | None, note: str | None = None
    ) -> Conversation:
        return await self._to_operator(
            conversation_id, operator_id, reason="manager", by=by, note=note
        )

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
            return await self._to_operator(
                conversation_id, to_operator, reason="transfer", by=by, note=note, team_id=to_team
            )
        if to_team is None:
            raise ValidationFailed("transfer needs an operator or a team", code="no_target")
        await self.teams.get(to_team)
        released = await self._release(
            conversation_id, reason="transfer", by=by, note=note, team_id=to_team
        )
        return await self.route_conversation(released)

    async def _release(
        self,
        conversation_id: str,
        *,
        reason: str,
        by: str | None = None,
        note: str | None = None,
        team_id: str | None = None,
        needs_attention: bool = False,
        conv: Conversation | None = None,
    ) -> Conversation:
        conv = conv or await self.conversations.get(conversation_id)
        await self.state.move(conv.id, from_op=conv.assignee_id, to_op=None, now_ms=self.now_ms())
        changed = await self._commit(
            conv,
            to=None,
            reason=reason,
            by=by,
            note=note,
            team_id=team_id,
            needs_attention=needs_attention,
        )
        if conv.assignee_id:
            await self.drain()
        return changed

    async def release(self, conversation_id: str, *, reason: str) -> Conversation:
        conv = await self.conversations.get(conversation_id)
        released = await self._release(conversation_id, reason=reason, conv=conv)
        gone = frozenset({conv.assignee_id}) if conv.assignee_id else frozenset()
        return await self.route_conversation(released, exclude=gone)

    async def on_reopened(self, conversation_id: str) -> Conversation:
        """A person reopened or a snooze woke a conversation: the ingest reopen path."""
        conv = await self.conversations.get(conversation_id)
        if conv.status is not ConversationStatus.OPEN:
            return conv
        if conv.assignee_id is None:
            return await self.route_conversation(conv)
        contact = await self.contacts.get(conv.contact_id)
        await self._retake(conv, await self.line(conv.line_id), contact)
        return await self.conversations.get(conversation_id)

    async def on_operator_reply(self, conversation_id: str, operator_id: str) -> None:
        await self.conversations.set_reply_due(conversation_id, None)

    async def on_resolved(self, conversation_id: str) -> None:
        """Free the capacity slot now (MongoDB keeps the assignee as history)."""
        if await self.state.move(conversation_id, from_op=ANY, to_op=None, now_ms=self.now_ms()):
            await self.conversations.set_reply_due(conversation_id, None)
            await self.drain()

    # ------------------------------------------------------------ the queue

    async def queue(self, limit: int = 100) -> list[Conversation]:
        return await self.conversations.queue(limit=limit)

    async def drain(self, limit: int | None = None) -> int:
        """Assign queued conversations, oldest first per pool (see :mod:`routing.drain`)."""
        return await drain(self, limit)

    # ------------------------------------------------------------ reconciliation

    async def reconcile(self) -> int:
        """Rebuild the Redis view (holds, loads, capacities, presence) from MongoDB."""
        self._caps, self._teams = {}, {}  # Redis may have lost them: push them again
        await self.operator_pool(fresh=True)
        stored = await self.presence.all()
        await self.state.fill_presence(
            {op: p.value for op, (p, _) in stored.items()}, self.now_ms()
        )
        read_ms = self.now_ms()
        waiting = await self.conversations.queue(limit=100_000)
        await self.state.enqueue_many(
            [
                (
                    c.line_id,
                    c.id,
                    self.state.queue_score(
                        c.priority, int((c.queued_at or c.created_at).timestamp() * 1000)
                    ),
                )
                for c in waiting
            ]
        )
        truth = await self.conversations.assignments()
        fixed = await self.state.reconcile(
            truth,
            now_ms=self.now_ms(),
            stale_before_ms=self._stale_before_ms(),
            read_ms=read_ms,
        )
        if fixed:
            log.warning("routing_reconciled", fixed=fixed)
        return fixed

    # ------------------------------------------------------------ presence and timers

    async def set_presence(self, operator_id: str, presence: Presence) -> None:
        await set_presence(self, operator_id, presence)

    async def heartbeat(self, operator_id: str) -> None:
        await heartbeat(self, operator_id)

    async def sweep(self) -> int:
        """One pass of every timer; run by the worker every few seconds."""
        await self._ensure_ready()
        done = 0
        for timer in (presence_timeouts, offline_grace, no_reply, drain):
            try:
                done += await timer(self)
            except guard.OUTAGE:
                raise  # Redis or MongoDB down: the worker's job logs it and tries next tick
            except Exception:  # one timer failing must not skip the others this tick
                log.exception("routing_timer_failed", timer=timer.__name__)
        return done
