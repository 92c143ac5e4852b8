"""Request and response models of ``/api/v1``; the OpenAPI document is generated from them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, SecretStr

from inbox.domain.models import (
    CannedResponse,
    ChannelKind,
    Contact,
    Conversation,
    ConversationStatus,
    CrmRules,
    Line,
    Message,
    Operator,
    Presence,
    Role,
    Team,
)
from inbox.web.api.bounds import Instant
from inbox.web.api.registry import Body

LOCALES = ("en", "uk", "ru")
MAX_OPEN = 1000  # open conversations one operator may hold at once

# ------------------------------------------------------------------ auth and me


class LoginIn(Body):
    login: str = Field(min_length=1, max_length=100)
    password: SecretStr = Field(min_length=1, max_length=200)


class MeOut(Body):
    operator: Operator
    csrf_token: str | None = None  # set for cookie sessions; send it as X-CSRF-Token


class MeIn(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    locale: str | None = Field(default=None, pattern="^(en|uk|ru)$")


class PresenceIn(Body):
    status: Presence


class TokenIn(Body):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(Body):
    id: str
    name: str
    token: str  # shown once


class TokenItem(Body):
    id: str
    name: str
    created_at: datetime
    revoked: bool


class TokenList(Body):
    items: list[TokenItem]


class Ok(Body):
    ok: bool = True


# ------------------------------------------------------------------ conversations


class ConversationQuery(Body):
    tab: str = Field(default="all", pattern="^(all|mine|unassigned|team|resolved)$")
    team_id: str | None = None
    line_id: str | None = None
    channel: ChannelKind | None = None
    status: ConversationStatus | None = None
    waiting_min: int | None = Field(default=None, ge=0, le=100_000)
    assignee_id: str | None = Field(default=None, max_length=64)  # within the caller's audience
    q: str | None = Field(default=None, max_length=200)
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=30, ge=1, le=100)


class ContactBrief(Body):
    id: str
    name: str


class ConversationItem(Body):
    conversation: Conversation
    contact: ContactBrief
    line_name: str


class ConversationPage(Body):
    items: list[ConversationItem]
    next_cursor: str | None


class Counts(Body):
    mine: int
    unassigned: int
    team: int
    all: int


class MessageQuery(Body):
    before: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=200)


class MessagePage(Body):
    items: list[Message]  # newest first
    next_before: str | None


class ReplyIn(Body):
    text: str = Field(min_length=1, max_length=65_536)
    # Choices offered with the reply on channels that show them (Instagram: at most 13
    # of at most 20 characters, checked by the channel before sending).
    quick_replies: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )


class MessageOut(Body):
    message: Message


class ConversationOut(Body):
    conversation: Conversation


class TransferIn(Body):
    to_operator: str | None = None
    to_team: str | None = None
    note: str | None = Field(default=None, max_length=1000)


class AssignIn(Body):
    operator_id: str
    note: str | None = Field(default=None, max_length=2000)


class SnoozeIn(Body):
    until: Instant


class ContactCard(Body):
    contact: Contact
    overview: dict[str, Any]


class CannedIn(Body):
    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=4000)
    shortcut: str | None = Field(default=None, max_length=30)
    team_id: str | None = None


class CannedList(Body):
    items: list[CannedResponse]


class CannedOut(Body):
    canned: CannedResponse


class RenderedText(Body):
    text: str


# ------------------------------------------------------------------ directory and reports


class OperatorBrief(Body):
    id: str
    name: str
    role: Role
    teams: tuple[str, ...]


class Directory(Body):
    operators: list[OperatorBrief]
    teams: list[Team]


class Summary(Body):
    by_status: dict[str, int]
    by_assignee: dict[str, int]
    unassigned: int


# ------------------------------------------------------------------ admin


class LineView(Body):
    """A line as the API shows it: credential names only, never their values."""

    line: Line
    credential_names: list[str]

    @classmethod
    def of(cls, line: Line) -> LineView:
        return cls(
            line=line.model_copy(update={"credentials": {}}),
            credential_names=sorted(line.credentials),
        )


class LineList(Body):
    items: list[LineView]


class LineIn(Body):
    kind: ChannelKind
    name: str = Field(min_length=1, max_length=200)
    credentials: dict[str, SecretStr] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)
    timezone: str = "UTC"


class LinePatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = None
    enabled: bool | None = None
    timezone: str | None = None
    welcome_text: str | None = None
    crm: CrmRules | None = None


class OperatorIn(Body):
    login: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    password: SecretStr = Field(min_length=8, max_length=200)
    role: Role = Role.OPERATOR
    teams: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    max_open: int = Field(default=10, ge=0, le=MAX_OPEN)
    locale: str = Field(default="en", pattern="^(en|uk|ru)$")


class OperatorPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    password: SecretStr | None = Field(default=None, min_length=8, max_length=200)
    role: Role | None = None
    teams: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    max_open: int | None = Field(default=None, ge=0, le=MAX_OPEN)
    locale: str | None = Field(default=None, pattern="^(en|uk|ru)$")
    active: bool | None = None


class OperatorOut(Body):
    operator: Operator


class OperatorList(Body):
    items: list[Operator]


class TeamIn(Body):
    name: str = Field(min_length=1, max_length=200)
    manager_id: str | None = None


class TeamOut(Body):
    team: Team


class TeamList(Body):
    items: list[Team]
