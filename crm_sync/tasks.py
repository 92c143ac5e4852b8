"""Tasks and reminders: a due time, a responsible operator, fired once by the worker.

Firing is claim-then-publish: a conditional update sets ``fired_at`` so two workers never
both remind; if publishing fails the claim is released and the next tick tries again.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import ValidationFailed
from inbox.domain.events import Event
from inbox.domain.models import Task
from inbox.domain.ports import DealRepository, EventPublisher, LeadRepository, TaskRepository

log = structlog.get_logger(__name__)


class Tasks:
    def __init__(
        self,
        *,
        tasks: TaskRepository,
        leads: LeadRepository,
        deals: DealRepository,
        publisher: EventPublisher,
        clock: Clock,
    ) -> None:
        self._tasks = tasks
        self._leads = leads
        self._deals = deals
        self._publisher = publisher
        self._clock = clock

    async def add(
        self,
        *,
        title: str,
        due_at: datetime,
        responsible_id: str,
        created_by: str | None,
        contact_id: str | None = None,
        company_id: str | None = None,
        lead_id: str | None = None,
        deal_id: str | None = None,
        conversation_id: str | None = None,
    ) -> Task:
        if due_at.tzinfo is None:
            raise ValidationFailed("due_at needs a time zone", code="naive_datetime")
        if lead_id and not contact_id:
            contact_id = (await self._leads.get(lead_id)).contact_id
        if deal_id and not contact_id:
            contact_id = (await self._deals.get(deal_id)).contact_id
        task = Task(
            title=title,
            due_at=due_at,
            responsible_id=responsible_id,
            created_by=created_by,
            contact_id=contact_id,
            company_id=company_id,
            lead_id=lead_id,
            deal_id=deal_id,
            conversation_id=conversation_id,
            created_at=self._clock.now(),
        )
        return await self._tasks.add(task)

    async def complete(self, task_id: str) -> Task:
        return await self._tasks.complete(task_id, self._clock.now())

    async def for_operator(self, operator_id: str, include_done: bool = False) -> list[Task]:
        return await self._tasks.list(responsible_id=operator_id, include_done=include_done)

    async def get(self, task_id: str) -> Task:
        return await self._tasks.get(task_id)

    async def fire_due(self, limit: int = 100) -> int:
        """The worker job: remind the responsible operator of every task now due."""
        now = self._clock.now()
        fired = 0
        for task in await self._tasks.due(now, limit):
            if not await self._tasks.mark_fired(task.id, now):
                continue  # another worker fired it
            try:
                await self._publisher.publish(
                    Event(
                        type="crm.task_due",
                        at=now,
                        assignee_id=task.responsible_id,
                        conversation_id=task.conversation_id,
                        data={
                            "task": task.model_copy(update={"fired_at": now}).model_dump(
                                mode="json"
                            )
                        },
                    )
                )
            except Exception:  # the stream is down: release the claim, retry next tick
                await self._tasks.unmark_fired(task.id)
                log.exception("crm_task_fire_failed", task_id=task.id)
                continue
            fired += 1
            log.info("crm_task_fired", task_id=task.id, responsible_id=task.responsible_id)
        return fired
