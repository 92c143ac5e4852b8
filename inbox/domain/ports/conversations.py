"""Lines, contacts and conversations: what ingest threads and the inbox lists."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from inbox.domain.inbound import (
    ContactUpdate,
    InboundMessage,
)
from inbox.domain.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Hop,
    Line,
)


class LineRepository(Protocol):
    async def add(self, line: Line) -> Line: ...
    async def get(self, line_id: str) -> Line: ...  # raises NotFound
    async def list(self) -> list[Line]: ...
    async def replace(self, line: Line) -> Line: ...
    async def remove(self, line_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ThreadResult:
    """Which conversation a customer message belongs to, and whether that was a start."""

    conversation: Conversation
    created: bool
    reopened: bool
    woken: bool = False  # it was snoozed: the customer's message reopened it at once


class ContactRepository(Protocol):
    async def upsert_identity(self, line: Line, inbound: InboundMessage, now: datetime) -> Contact:
        """The contact with this channel identity, created on first sight (idempotent)."""
        ...

    async def identify(
        self, line: Line, inbound: InboundMessage, now: datetime
    ) -> tuple[Contact, bool]:
        """Like ``upsert_identity``, and whether this very call created the contact."""
        ...

    async def get(self, contact_id: str) -> Contact: ...
    async def find_by_identity(self, line_id: str, external_id: str) -> Contact | None: ...
    async def apply_update(
        self, line: Line, update: ContactUpdate, now: datetime
    ) -> Contact | None: ...
    async def list(self, limit: int = 100) -> list[Contact]: ...

    async def clear_pending_source(self, line_id: str, external_id: str, source: str) -> None:
        """Consume an identity's ``pending_source`` if it is still ``source``."""
        ...

    async def discard_if_unused(self, contact_id: str) -> bool:
        """Delete a contact no conversation refers to (undoing a failed first message)."""
        ...


class ConversationRepository(Protocol):
    async def thread(
        self,
        line: Line,
        contact: Contact,
        now: datetime,
        *,
        source: str | None = None,
        subject: str | None = None,
    ) -> ThreadResult:
        """The open conversation of this contact on this line; reopen or create as needed."""
        ...

    async def discard_if_empty(self, conversation_id: str) -> bool:
        """Delete a conversation that never got a message (undoing a failed first message)."""
        ...

    async def get(self, conversation_id: str) -> Conversation: ...
    async def record_inbound(
        self, conversation_id: str, at: datetime, preview: str | None, *, count_unread: bool = True
    ) -> Conversation: ...
    async def record_outbound(
        self, conversation_id: str, at: datetime, preview: str | None
    ) -> Conversation: ...
    async def record_response(self, conversation_id: str, at: datetime) -> None:
        """A human reply the platform accepted: the first response time, the waiting clock."""
        ...

    async def set_status(
        self,
        conversation_id: str,
        status: ConversationStatus,
        now: datetime,
        *,
        snoozed_until: datetime | None = None,
    ) -> Conversation: ...
    async def list(
        self,
        *,
        line_id: str | None = None,
        status: ConversationStatus | None = None,
        assignee_id: str | None = None,
        contact_id: str | None = None,
        limit: int = 50,
    ) -> list[Conversation]: ...

    async def set_assignee(
        self,
        conversation_id: str,
        *,
        expected: str | None,
        assignee: str | None,
        team_id: str | None,
        hop: Hop,
        needs_attention: bool = False,
        reply_due_at: datetime | None = None,
    ) -> Conversation | None:
        """Change the assignee only if it is still ``expected``; None when it was not.

        Releasing (``assignee=None``) also stamps ``queued_at``; ``reply_due_at`` is kept as given.
        """
        ...

    async def queue(
        self, *, line_ids: Sequence[str] | None = None, limit: int = 100
    ) -> builtins.list[Conversation]:
        """Open unassigned conversations not flagged, by priority then waiting time."""
        ...

    async def assignments(self) -> builtins.list[tuple[str, str]]:
        """``(conversation_id, assignee_id)`` of every active assigned conversation."""
        ...

    async def set_reply_due(
        self, conversation_id: str, due: datetime | None, *, only_if_unset: bool = False
    ) -> None: ...

    async def reply_overdue(self, now: datetime, limit: int = 100) -> builtins.list[Conversation]:
        """Active assigned conversations whose ``reply_due_at`` has passed, oldest first."""
        ...

    async def last_served_by(self, contact_id: str, line_id: str) -> tuple[str, datetime] | None:
        """Who last had a conversation of this contact on this line, and when it ended."""
        ...


class SnoozedConversations(Protocol):
    """Snoozed conversations whose time has come (the inbox's snooze-until)."""

    async def due_snoozed(self, now: datetime, limit: int = 100) -> list[Conversation]: ...
    async def wake(self, conversation_id: str, now: datetime) -> Conversation | None:
        """Reopen it if it is still snoozed; None when something else changed it first."""
        ...


class ReadMarks(Protocol):
    """An operator read a conversation: its unread count goes to zero."""

    async def mark_read(self, conversation_id: str) -> Conversation: ...
