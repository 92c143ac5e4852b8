"""Messages: storing, the hook ledger, the outbound queue, receipts, downloads, reply keys."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from inbox.domain.models import (
    DeliveryStatus,
    Message,
)


class MessageRepository(Protocol):
    async def insert(self, message: Message) -> tuple[Message, bool]:
        """Store a message; on a duplicate (line + external id) return the stored one, False."""
        ...

    async def get(self, message_id: str) -> Message: ...
    async def get_by_external(self, line_id: str, external_id: str) -> Message | None: ...
    async def apply_edit(
        self, line_id: str, external_id: str, text: str | None, edited_at: datetime
    ) -> Message | None: ...
    async def hooks_done(self, message_id: str) -> bool: ...
    async def mark_hooks_done(self, message_id: str) -> None: ...
    async def hooks_pending(self, older_than: datetime, limit: int = 100) -> list[Message]: ...
    async def list_for_conversation(
        self, conversation_id: str, *, before: str | None = None, limit: int = 50
    ) -> list[Message]: ...
    async def claim_for_send(
        self, message_id: str, now: datetime, lease_s: float
    ) -> Message | None: ...
    async def mark_sent(
        self,
        message_id: str,
        external_id: str,
        at: datetime,
        extra_external_ids: Sequence[str] = (),
    ) -> Message: ...
    async def mark_retry(
        self, message_id: str, reason: str, next_attempt_at: datetime, now: datetime
    ) -> Message: ...
    async def mark_failed(
        self, message_id: str, reason: str, code: str | None, now: datetime
    ) -> Message: ...
    async def due_outbound(self, now: datetime, limit: int = 100) -> list[Message]: ...
    async def update_status_by_external(
        self,
        line_id: str,
        external_id: str,
        status: DeliveryStatus,
        at: datetime,
        error: str | None = None,
    ) -> Message | None: ...

    async def last_inbound(self, conversation_id: str) -> Message | None:
        """The customer's latest message in a conversation."""
        ...

    async def count_sent_since(self, conversation_id: str, since: datetime) -> int:
        """Outbound messages of a conversation accepted by the platform since ``since``."""
        ...

    async def files_due(self, now: datetime, limit: int = 20) -> list[Message]:
        """Inbound messages whose attachments still wait to be downloaded."""
        ...

    async def claim_files(self, message_id: str, now: datetime, lease_s: float) -> Message | None:
        """Take a message's pending downloads for a lease; None if held or nothing pending."""
        ...

    async def set_attachment_file(self, message_id: str, index: int, file_id: str) -> None: ...
    async def files_done(self, message_id: str) -> None: ...
    async def files_retry(self, message_id: str, reason: str, next_at: datetime) -> int:
        """Record a failed download; returns the number of failures so far."""
        ...


class MessageMarks(Protocol):
    """What customers do to stored messages afterwards: react, unsend, read; and the
    lookups that keep platform echoes from doubling the hub's own copies."""

    async def find_external(self, line_id: str, external_id: str) -> Message | None:
        """A message by its platform id, also a later part of a split reply."""
        ...

    async def set_reaction(
        self, line_id: str, external_id: str, by: str, emoji: str | None, at: datetime
    ) -> Message | None:
        """Replace ``by``'s reaction (None removes it); None if the message is unknown."""
        ...

    async def mark_deleted(self, line_id: str, external_id: str, at: datetime) -> Message | None:
        """Mark a message unsent (its text kept); None if unknown or already marked."""
        ...

    async def mark_read_up_to(
        self, conversation_id: str, until: datetime
    ) -> builtins.list[Message]:
        """Our accepted messages sent up to ``until`` become read; the ones that moved."""
        ...

    async def in_flight(self, conversation_id: str, now: datetime) -> builtins.list[Message]:
        """Our messages a sender holds right now (claimed, the platform not answered yet)."""
        ...


class ReplyKeys(Protocol):
    """Idempotency keys of replies: a retry with the same key finds the first reply."""

    async def bind(self, key: str, message_id: str, now: datetime, ttl_s: float) -> str:
        """Bind ``key`` to ``message_id`` unless bound within ``ttl_s``; the bound id."""
        ...
