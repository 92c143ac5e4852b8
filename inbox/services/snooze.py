"""Snooze-until: the worker reopens snoozed conversations whose time has come."""

from __future__ import annotations

import structlog

from inbox.domain.clock import Clock
from inbox.domain.events import conversation_event
from inbox.domain.ports import EventPublisher, SnoozedConversations

log = structlog.get_logger(__name__)


async def wake_snoozed(
    due: SnoozedConversations, publisher: EventPublisher, clock: Clock, limit: int = 100
) -> int:
    """Reopen every snoozed conversation that is due; returns how many woke up.

    Each wake is conditional on the conversation still being snoozed, so an operator's
    resolve or reopen in the meantime wins.
    """
    now = clock.now()
    woken = 0
    for conversation in await due.due_snoozed(now, limit):
        opened = await due.wake(conversation.id, now)
        if opened is None:
            continue
        await publisher.publish(conversation_event("conversation.status", opened, now))
        woken += 1
    if woken:
        log.info("snooze_woken", count=woken)
    return woken
