"""The router, as the inbox sees it: four role interfaces, and the whole router as their union."""

from __future__ import annotations

import builtins
from typing import Protocol

from inbox.domain.models import (
    Conversation,
    Presence,
)


class Assigner(Protocol):
    """Who has a conversation: routing it, and people giving it to someone.

    Every change goes through one atomic path. All methods return the conversation as
    stored after the change and raise ``Conflict`` when a concurrent change won (the
    caller may re-read and retry or report it).
    """

    async def route(self, conversation_id: str) -> Conversation:
        """Assign an unassigned conversation by its line's rules, or leave it queued."""
        ...

    async def claim(self, conversation_id: str, operator_id: str) -> Conversation: ...

    async def assign(
        self, conversation_id: str, operator_id: str, *, by: str | None, note: str | None = None
    ) -> Conversation:
        """A manager assigns a conversation, whoever has it now (capacity still applies)."""
        ...

    async def transfer(
        self,
        conversation_id: str,
        *,
        by: str | None,
        to_operator: str | None = None,
        to_team: str | None = None,
        note: str | None = None,
    ) -> Conversation: ...

    async def release(self, conversation_id: str, *, reason: str) -> Conversation: ...


class RoutingReactions(Protocol):
    """What routing must hear about from the use-cases (replays are harmless)."""

    async def on_reopened(self, conversation_id: str) -> Conversation:
        """A reopen or a snooze's wake: the holder takes it back (a fresh reply deadline)
        if they can now, else it is routed again; the same path as an ingest reopen."""
        ...

    async def on_operator_reply(self, conversation_id: str, operator_id: str) -> None: ...

    async def on_resolved(self, conversation_id: str) -> None: ...


class PresenceTracker(Protocol):
    """Operators' presence: an explicit status, and heartbeats from an open inbox."""

    async def set_presence(self, operator_id: str, presence: Presence) -> None: ...

    async def heartbeat(self, operator_id: str) -> None: ...


class RoutingUpkeep(Protocol):
    """The queue as people see it, and the worker's periodic jobs."""

    async def queue(self, limit: int = 100) -> builtins.list[Conversation]: ...

    async def reconcile(self) -> int:
        """Rebuild the fast view (Redis) from MongoDB; returns how many entries it fixed."""
        ...

    async def sweep(self) -> int:
        """Timers: presence timeouts, offline grace, no-reply, opening hours, the queue."""
        ...


class Router(Assigner, RoutingReactions, PresenceTracker, RoutingUpkeep, Protocol):
    """The whole router, as the hub holds it; a consumer asks for the role it uses."""
