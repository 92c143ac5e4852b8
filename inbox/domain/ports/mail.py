"""Email: mail threads and mailbox states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from inbox.domain.models import (
    Contact,
    Conversation,
    Line,
)
from inbox.domain.ports.conversations import ThreadResult


class MailThreads(Protocol):
    """Conversations of email lines: a customer may have several at once (one per mail
    thread), found by the Message-IDs they hold or by their subject."""

    async def by_messages(
        self, line_id: str, contact_id: str, external_ids: Sequence[str]
    ) -> Conversation | None:
        """The contact's conversation holding the first of these message ids (in order)."""
        ...

    async def by_related(
        self, line_id: str, contact_id: str, external_ids: Sequence[str]
    ) -> Conversation | None:
        """The contact's conversation with a message that references one of these ids
        (mail arriving out of order: a reply stored before the mail it answers)."""
        ...

    async def remember(
        self, line_id: str, contact_id: str, conversation_id: str, references: Sequence[str]
    ) -> None:
        """Record that a mail with these references went to this conversation."""
        ...

    async def by_subject(
        self, line_id: str, contact_id: str, subject_key: str, since: datetime
    ) -> Conversation | None:
        """The contact's latest conversation with this subject, active since ``since``."""
        ...

    async def join(
        self,
        conversation: Conversation,
        now: datetime,
        *,
        subject: str | None,
        subject_key: str | None,
    ) -> ThreadResult:
        """Put a new mail into ``conversation``: reopen or wake it, update its subject."""
        ...

    async def start(
        self,
        line: Line,
        contact: Contact,
        now: datetime,
        *,
        thread_key: str,
        subject: str | None,
        subject_key: str | None,
        source: str | None = None,
    ) -> ThreadResult:
        """A new conversation rooted at ``thread_key`` (idempotent for the same key)."""
        ...


class MailboxStates(Protocol):
    """Durable IMAP bookkeeping per mailbox: UIDVALIDITY, the last UID done, a lease."""

    async def acquire(self, line_id: str, owner: str, now: datetime, lease_s: float) -> bool:
        """Take or renew the mailbox's lease; False while another worker holds it."""
        ...

    async def release(self, line_id: str, owner: str) -> None: ...

    async def position(self, line_id: str) -> tuple[int | None, int]:
        """``(uidvalidity, last_uid)`` stored for the mailbox (``(None, 0)`` at first)."""
        ...

    async def advance(
        self, line_id: str, owner: str, uidvalidity: int, last_uid: int, now: datetime
    ) -> bool:
        """Record progress while holding the lease; False when the lease was lost."""
        ...
