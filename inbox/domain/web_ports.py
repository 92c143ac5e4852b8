"""Ports the web edge reads through: the inbox list, canned answers, sessions, API tokens,
the login limiter and the password checker. Implemented in ``inbox.store`` and
``inbox.security``; the web layer sees only these (it never imports the store).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from inbox.domain.models import (
    CannedResponse,
    ChannelKind,
    Conversation,
    ConversationStatus,
    Message,
)


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    """What the operator asked for; every field narrows the list."""

    assignee_id: str | None = None
    unassigned: bool = False
    team_ids: tuple[str, ...] | None = None
    line_id: str | None = None
    channel: ChannelKind | None = None
    status: ConversationStatus | None = None
    active_only: bool = False
    waiting_min: int | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    operator_id: str
    csrf: str


class InboxQueries(Protocol):
    """The operator's list: ``audience`` is the caller's audience rule as a MongoDB filter."""

    async def list_conversations(
        self,
        audience: dict[str, Any],
        flt: ConversationFilter,
        now: datetime,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[builtins.list[Conversation], str | None]: ...
    async def count(
        self, audience: dict[str, Any], flt: ConversationFilter, now: datetime
    ) -> int: ...
    async def summary(self, audience: dict[str, Any]) -> tuple[dict[str, int], dict[str, int], int]:
        """Active conversations by status, by assignee, and how many are unassigned."""
        ...

    async def mark_read(self, conversation_id: str) -> Conversation: ...
    async def message_with_file(self, file_id: str) -> Message | None: ...


class CannedRepository(Protocol):
    async def add(self, canned: CannedResponse) -> CannedResponse: ...
    async def get(self, canned_id: str) -> CannedResponse: ...
    async def list(self, team_ids: list[str | None] | None = None) -> list[CannedResponse]: ...
    async def delete(self, canned_id: str) -> None: ...


class SessionStore(Protocol):
    async def create(self, operator_id: str) -> tuple[str, Session]: ...
    async def get(self, session_id: str) -> Session | None: ...
    async def delete(self, session_id: str) -> None: ...
    async def revoke_all(self, operator_id: str, *, keep: str | None = None) -> int: ...


class LoginLimiter(Protocol):
    async def attempt(self, login: str, address: str) -> float | None:
        """None when the attempt may go ahead, else the seconds to wait."""
        ...

    async def succeeded(self, login: str, address: str) -> None: ...


class TokenRepository(Protocol):
    async def issue(self, operator_id: str, name: str, now: datetime) -> tuple[str, str]: ...
    async def operator_for(self, token: str) -> str | None: ...
    async def list_for(self, operator_id: str) -> list[dict[str, object]]: ...
    async def revoke(self, token_id: str, operator_id: str) -> bool: ...
    async def revoke_all(self, operator_id: str) -> int: ...


class PasswordHasher(Protocol):
    async def verify(self, password_hash: str | None, password: str) -> bool: ...
    async def hash(self, password: str) -> str: ...
