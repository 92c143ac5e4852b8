"""A conversation's lifecycle verbs: resolve, reopen, snooze and wake.

Each verb writes the status through the conversation port, tells the router through its
public port and announces the change (best effort) to the live view. The web API, the CLI
and the worker call these and nothing else, so an API reopen takes the same path as an
ingest reopen (:meth:`Router.on_reopened`: the holder takes the slot back with a fresh reply
deadline, or the conversation is routed again), and a snooze keeps the assignee while its
no-reply deadline is paused (the store clears it; a wake sets a fresh one).
"""

from __future__ import annotations

from datetime import datetime

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import ValidationFailed
from inbox.domain.events import conversation_event
from inbox.domain.models import Conversation, ConversationStatus
from inbox.domain.ports import (
    ConversationRepository,
    EventPublisher,
    ReadMarks,
    Router,
    SnoozedConversations,
)
from inbox.services.live import BestEffort

log = structlog.get_logger(__name__)


class Lifecycle:
    """Resolve, reopen, snooze and wake, each one atomic write then the router and the view."""

    def __init__(
        self,
        *,
        conversations: ConversationRepository,
        snoozed: SnoozedConversations,
        reads: ReadMarks,
        router: Router,
        publisher: EventPublisher,
        clock: Clock,
    ) -> None:
        self._conversations = conversations
        self._snoozed = snoozed
        self._reads = reads
        self._router = router
        self._live = BestEffort(publisher)
        self._clock = clock

    async def _announce(
        self, conversation: Conversation, kind: str = "conversation.status"
    ) -> None:
        await self._live.publish(conversation_event(kind, conversation, self._clock.now()))

    async def mark_read(self, conversation_id: str) -> Conversation:
        changed = await self._reads.mark_read(conversation_id)
        await self._announce(changed, "conversation.updated")
        return changed

    async def resolve(self, conversation_id: str) -> Conversation:
        changed = await self._conversations.set_status(
            conversation_id, ConversationStatus.RESOLVED, self._clock.now()
        )
        await self._router.on_resolved(conversation_id)
        await self._announce(changed)
        log.info("conversation_resolved", conversation_id=conversation_id)
        return changed

    async def reopen(self, conversation_id: str) -> Conversation:
        await self._conversations.set_status(
            conversation_id, ConversationStatus.OPEN, self._clock.now()
        )
        changed = await self._router.on_reopened(conversation_id)
        await self._announce(changed)
        return changed

    async def snooze(self, conversation_id: str, until: datetime) -> Conversation:
        if until.tzinfo is None or until <= self._clock.now():
            raise ValidationFailed("snooze until a future time with a time zone", code="bad_time")
        changed = await self._conversations.set_status(
            conversation_id, ConversationStatus.SNOOZED, self._clock.now(), snoozed_until=until
        )
        await self._announce(changed)
        return changed

    async def wake_due(self, limit: int = 100) -> int:
        """Reopen every snoozed conversation that is due; returns how many woke up.

        Each wake is conditional on the conversation still being snoozed, so an operator's
        resolve or reopen in the meantime wins.
        """
        now = self._clock.now()
        woken = 0
        for conversation in await self._snoozed.due_snoozed(now, limit):
            opened = await self._snoozed.wake(conversation.id, now)
            if opened is None:
                continue
            await self._announce(await self._router.on_reopened(opened.id))
            woken += 1
        if woken:
            log.info("snooze_woken", count=woken)
        return woken
