"""What the web edge sees of the composition root: ports and use-cases only.

``inbox.wiring.Hub`` satisfies this protocol structurally; the web layer never imports the
wiring or the store (an import-linter contract), so a handler cannot reach a MongoDB
collection or build a query: it parses, authorizes, calls one use-case and renders.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Protocol

from redis.asyncio import Redis

from crm_sync.side import CrmSide
from inbox.domain.clock import Clock
from inbox.domain.ports import (
    ConnectorRegistry,
    ContactRepository,
    ConversationRepository,
    CrmView,
    EventPublisher,
    FileStore,
    LineRepository,
    MessageRepository,
    OperatorRepository,
    Router,
    TeamRepository,
)
from inbox.domain.web_ports import (
    CannedRepository,
    InboxQueries,
    LoginLimiter,
    PasswordHasher,
    SessionStore,
    TokenRepository,
)
from inbox.services.answer import Answer
from inbox.services.assignment import Assignment
from inbox.services.ingest import Ingest
from inbox.services.lifecycle import Lifecycle
from inbox.services.lines import LineAdmin
from inbox.services.outbound import Replier, Sender
from inbox.services.rejections import WebhookRejections
from inbox.settings import Settings


class ReportingAccess(Protocol):
    """Managers' reports as the web edge reaches them (composed in ``inbox.reporting``).

    Still the query and SLA objects themselves, typed loosely: moving the report handlers
    behind use-cases is the part of the core redesign not done yet.
    """

    @property
    def queries(self) -> Any: ...

    @property
    def sla(self) -> Any: ...

    @property
    def refresher(self) -> Any: ...

    @property
    def monitor(self) -> Any: ...

    async def live(self, audience: dict[str, Any], now: Any) -> dict[str, Any]: ...

    async def presence(self) -> dict[str, Any]: ...

    async def gauges(self) -> dict[str, Any]: ...


class WebHub(Protocol):
    """The services a request handler may use (read-only members, so any richer type fits)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def lines(self) -> LineRepository: ...
    @property
    def contacts(self) -> ContactRepository: ...
    @property
    def conversations(self) -> ConversationRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def operators(self) -> OperatorRepository: ...
    @property
    def teams(self) -> TeamRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def files(self) -> FileStore: ...
    @property
    def publisher(self) -> EventPublisher: ...
    @property
    def connectors(self) -> ConnectorRegistry: ...
    @property
    def ingest(self) -> Ingest: ...
    @property
    def replier(self) -> Replier: ...
    @property
    def sender(self) -> Sender: ...
    @property
    def router(self) -> Router: ...
    @property
    def crm(self) -> CrmView: ...
    @property
    def crm_side(self) -> CrmSide: ...
    @property
    def inbox(self) -> InboxQueries: ...
    @property
    def canned(self) -> CannedRepository: ...
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def login_limiter(self) -> LoginLimiter: ...
    @property
    def rejections(self) -> WebhookRejections: ...
    @property
    def passwords(self) -> PasswordHasher: ...

    def lifecycle(self) -> Lifecycle: ...
    def assignment(self) -> Assignment: ...
    def answer(self) -> Answer: ...
    def line_admin(self) -> LineAdmin: ...
    def reporting(self) -> ReportingAccess: ...
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None: ...
    async def ready(self) -> dict[str, bool]: ...
    def live_source(self) -> tuple[Redis, str, str]:
        """The live feed's Redis, its event stream and its pub/sub channel."""
        ...
