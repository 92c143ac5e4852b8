"""Enqueueing external-CRM pushes (the transactional outbox) and draining it.

Each change is one outbox item whose id is its idempotency key
(``system:entity:local_id:action[:n]``), stored in MongoDB by the same code path that made
the change; the worker drains due items in batches through each system's
:class:`~inbox.domain.ports.ExternalCrm` adapter, keeps the remote ids, backs off on rate
limits and transient errors, and marks permanent failures with their reason for managers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import NotFound
from inbox.domain.events import Event
from inbox.domain.models import Deal, Lead, OutboxItem, OutboxStatus, RemoteRef
from inbox.domain.ports import (
    CompanyRepository,
    ContactRepository,
    ConversationRepository,
    DealRepository,
    EventPublisher,
    ExternalCrm,
    LeadRepository,
    OutboxRepository,
    PushCommand,
    PushResult,
    RemoteRefRepository,
)

log = structlog.get_logger(__name__)


class CrmOutbox:
    """Writes outbox items for every configured external CRM (none: a no-op)."""

    def __init__(self, *, outbox: OutboxRepository, systems: Sequence[str], clock: Clock) -> None:
        self._outbox = outbox
        self._systems = tuple(systems)
        self._clock = clock

    async def enqueue(
        self,
        entity: str,
        entity_id: str,
        action: str,
        suffix: str = "",
        *,
        conversation_id: str | None = None,
    ) -> None:
        now = self._clock.now()
        for system in self._systems:
            key = f"{system}:{entity}:{entity_id}:{action}" + (f":{suffix}" if suffix else "")
            await self._outbox.enqueue(
                OutboxItem(
                    id=key,
                    system=system,
                    entity=entity,
                    entity_id=entity_id,
                    action=action,
                    conversation_id=conversation_id,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )


class OutboxDrainer:
    """The worker job: push due outbox items, keep remote ids, retry or fail each."""

    def __init__(
        self,
        *,
        outbox: OutboxRepository,
        refs: RemoteRefRepository,
        adapters: Sequence[ExternalCrm],
        contacts: ContactRepository,
        companies: CompanyRepository,
        leads: LeadRepository,
        deals: DealRepository,
        conversations: ConversationRepository,
        clock: Clock,
        publisher: EventPublisher | None = None,
        batch_size: int = 20,
        lease_s: float = 60.0,
        max_attempts: int = 8,
        backoff_base_s: float = 5.0,
        backoff_max_s: float = 900.0,
    ) -> None:
        self._outbox = outbox
        self._refs = refs
        self._adapters = {a.system: a for a in adapters}
        self._contacts = contacts
        self._companies = companies
        self._leads = leads
        self._deals = deals
        self._conversations = conversations
        self._clock = clock
        self._publisher = publisher
        self._batch_size = batch_size
        self._lease_s = lease_s
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s

    async def drain(self, max_rounds: int = 10) -> int:
        """Push due items, a batch per round, while full batches keep coming (a backlog)."""
        handled = 0
        for _ in range(max_rounds):
            got = await self.drain_once()
            handled += got
            if got < self._batch_size:
                break
        return handled

    async def drain_once(self) -> int:
        """Push one batch of due items; returns how many were handled."""
        if not self._adapters:
            return 0
        items = await self._outbox.claim_due(self._clock.now(), self._lease_s, self._batch_size)
        by_system: dict[str, list[OutboxItem]] = {}
        for item in items:
            by_system.setdefault(item.system, []).append(item)
        for system, group in by_system.items():
            adapter = self._adapters.get(system)
            if adapter is None:
                for item in group:
                    await self._fail(item, f"no adapter for {system}", "no_adapter")
                continue
            commands: list[PushCommand] = []
            for item in group:
                try:
                    commands.append(await self._command(item))
                except NotFound as e:
                    await self._fail(item, e.message, e.code)
            if commands:
                await self._settle(commands, await adapter.push(commands))
        return len(items)

    async def _ref(self, system: str, entity: str, local_id: str | None) -> dict[str, str]:
        if local_id is None:
            return {}
        ref = await self._refs.get(system, entity, local_id)
        return {f"{entity}:{local_id}": ref.remote_id} if ref else {}

    async def _command(self, item: OutboxItem) -> PushCommand:
        lead = deal = None
        conv_ids: tuple[str, ...]
        if item.entity == "lead":
            lead = await self._leads.get(item.entity_id)
            contact_id, company_id, conv_ids = (
                lead.contact_id,
                lead.company_id,
                lead.conversation_ids,
            )
        elif item.entity == "deal":
            deal = await self._deals.get(item.entity_id)
            contact_id, company_id, conv_ids = (
                deal.contact_id,
                deal.company_id,
                deal.conversation_ids,
            )
        elif item.entity == "contact":
            contact_id, conv_ids = item.entity_id, ()
            company_id = (await self._contacts.get(contact_id)).company_id
        else:
            raise NotFound(f"unknown outbox entity {item.entity}", code="unknown_entity")
        contact = await self._contacts.get(contact_id)
        company = await self._companies.get(company_id) if company_id else None
        refs: dict[str, str] = {}
        refs |= await self._ref(item.system, "contact", contact.id)
        refs |= await self._ref(item.system, "company", company_id)
        refs |= await self._ref(item.system, item.entity, item.entity_id)
        if deal is not None and deal.lead_id:
            refs |= await self._ref(item.system, "lead", deal.lead_id)
        text = None
        about = item.conversation_id or (conv_ids[0] if conv_ids else None)
        if about is not None and item.action in ("create", "comment"):
            conversation = await self._conversations.get(about)
            text = (
                f"Inbox conversation {conversation.id} on {conversation.channel.value}, "
                f"started {conversation.created_at:%Y-%m-%d %H:%M} UTC: "
                f"{conversation.last_message_preview or ''}"
            )
        return PushCommand(
            item=item, contact=contact, company=company, lead=lead, deal=deal, text=text, refs=refs
        )

    async def _settle(self, commands: Sequence[PushCommand], results: Sequence[PushResult]) -> None:
        now = self._clock.now()
        by_id = {r.item_id: r for r in results}
        for command in commands:
            item = command.item
            result = by_id.get(item.id)
            if result is None:
                result = PushResult(item.id, {}, "no answer for this item", "no_answer", True)
            for key, remote_id in result.remote_ids.items():
                entity, _, local_id = key.partition(":")
                await self._refs.put(
                    RemoteRef(
                        system=item.system,
                        entity=entity,
                        local_id=local_id,
                        remote_id=remote_id,
                        at=now,
                    )
                )
            if result.error is None:
                own = result.remote_ids.get(f"{item.entity}:{item.entity_id}")
                await self._outbox.mark_done(item.id, own, now)
                log.info("crm_outbox_pushed", item_id=item.id, remote_id=own)
            elif result.retryable and item.attempts < self._max_attempts:
                delay = result.retry_after or min(
                    self._backoff_max_s, self._backoff_base_s * 2 ** (item.attempts - 1)
                )
                await self._outbox.mark_retry(
                    item.id, result.error, result.error_code, now + timedelta(seconds=delay), now
                )
                log.info("crm_outbox_retry", item_id=item.id, code=result.error_code, delay_s=delay)
            else:
                await self._fail(item, result.error, result.error_code)

    async def _fail(self, item: OutboxItem, reason: str, code: str | None) -> None:
        await self._outbox.mark_failed(item.id, reason, code, self._clock.now())
        log.warning("crm_outbox_failed", item_id=item.id, code=code, reason=reason)
        if self._publisher is None:
            return
        failed = item.model_copy(
            update={"status": OutboxStatus.FAILED, "last_error": reason, "last_error_code": code}
        )
        try:  # the record's managers' live view; the failure is stored either way
            await self._publisher.publish(
                Event(
                    type="crm.updated",
                    at=self._clock.now(),
                    team_id=await self._team_of(item),
                    data={"what": "outbox.failed", "item": failed.model_dump(mode="json")},
                )
            )
        except Exception:
            log.exception("crm_event_publish_failed", what="outbox.failed")

    async def _team_of(self, item: OutboxItem) -> str | None:
        """The team of the record's latest conversation (None: the admins' alone)."""
        conversation_id = item.conversation_id
        try:
            if conversation_id is None and item.entity in ("lead", "deal"):
                record: Lead | Deal = await (
                    self._leads.get(item.entity_id)
                    if item.entity == "lead"
                    else self._deals.get(item.entity_id)
                )
                conversation_id = (record.conversation_ids or (None,))[-1]
            if conversation_id is None:
                return None
            return (await self._conversations.get(conversation_id)).team_id
        except NotFound:
            return None

    async def failures(self, limit: int = 100) -> list[OutboxItem]:
        return await self._outbox.list(status="failed", limit=limit)

    async def retry(self, item_id: str) -> OutboxItem:
        return await self._outbox.requeue(item_id, self._clock.now())
