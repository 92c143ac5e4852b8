"""The composition root: the only module that knows every concrete part and plugin.

:func:`open_hub` opens each resource exactly once (Mongo client, Redis, HTTP session,
connectors) and closes it on exit. The web process enters it from an aiohttp
``cleanup_ctx``; the worker from an ``AsyncExitStack``. Nothing connects at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog
from aiohttp import web
from redis.asyncio import Redis

from connectors.api import ApiConnector
from connectors.email import EmailConnector
from connectors.email.imap import MailboxPoller, PollerOptions
from connectors.email.intake import MailIntake
from connectors.email.mime import Limits
from connectors.email.pollers import EmailPollers, worker_identity
from connectors.instagram import InstagramConnector
from connectors.safefetch import FetchPolicy, SafeFetcher, policy_from
from connectors.telegram import TelegramConnector
from connectors.viber import ViberConnector
from crm_sync.bitrix24 import Bitrix24Client, Bitrix24Config, Bitrix24Crm
from crm_sync.side import CrmSide, CrmStores, OutboxOptions, build_crm_side
from inbox.domain.clock import Clock, SystemClock
from inbox.domain.errors import NotFound
from inbox.domain.inbound import InboundEvent
from inbox.domain.models import ChannelKind, Line
from inbox.domain.ports import (
    Connector,
    CredentialStore,
    CrmView,
    ExternalCrm,
    FileStore,
    MessageRepository,
    Router,
)
from inbox.reporting import Reporting, ensure_report_indexes
from inbox.security import PasswordChecker, session_secret
from inbox.services.answer import Answer
from inbox.services.assignment import Assignment
from inbox.services.files import AttachmentFetcher
from inbox.services.ingest import Ingest
from inbox.services.lifecycle import Lifecycle
from inbox.services.line_rules import LineRules
from inbox.services.lines import LineAdmin
from inbox.services.mail_threads import MailThreader
from inbox.services.outbound import Replier, Sender
from inbox.services.profiles import ProfileHook
from inbox.services.rejections import WebhookRejections
from inbox.settings import Settings
from inbox.store.canned import MongoCannedRepository
from inbox.store.contacts import MongoContactRepository
from inbox.store.conversations import MongoConversationRepository
from inbox.store.credentials import MongoCredentialStore
from inbox.store.crm import (
    MongoCompanyRepository,
    MongoDealRepository,
    MongoLeadRepository,
    MongoPipelineRepository,
)
from inbox.store.crm_contacts import MongoCrmContactStore, MongoMergeRepository
from inbox.store.crm_outbox import MongoOutboxRepository, MongoRemoteRefRepository
from inbox.store.crm_tasks import MongoNoteRepository, MongoTaskRepository
from inbox.store.events import RedisEventPublisher
from inbox.store.files import GridFsFileStore
from inbox.store.inbox import MongoInboxQueries
from inbox.store.lines import MongoLineRepository
from inbox.store.mail import MongoMailboxStates, MongoMailThreads
from inbox.store.message_marks import MongoMessageMarks
from inbox.store.messages import MongoMessageRepository
from inbox.store.mongo import Database, check_server, ensure_indexes, make_client
from inbox.store.operators import MongoOperatorRepository, MongoTeamRepository
from inbox.store.presence import MongoAccountOwners, MongoPresenceRepository
from inbox.store.redis_client import make_redis
from inbox.store.rejected import MongoRejectedWebhooks
from inbox.store.reply_keys import MongoReplyKeys
from inbox.store.sessions import RedisLoginLimiter, RedisSessionStore
from inbox.store.tokens import MongoTokenRepository
from inbox.web.keys import HUB
from routing.router import Router as RedisRouter
from routing.router import RouterConfig
from routing.state import RoutingState

log = structlog.get_logger(__name__)


class Connectors:
    """The registry of channel connectors, keyed by channel kind."""

    def __init__(self, connectors: Sequence[Connector] = ()) -> None:
        self._by_kind: dict[ChannelKind, Connector] = {}
        for connector in connectors:
            self.add(connector)

    def add(self, connector: Connector) -> None:
        self._by_kind[connector.kind] = connector

    def get(self, kind: ChannelKind) -> Connector:
        try:
            return self._by_kind[kind]
        except KeyError:
            raise NotFound(
                f"no connector for channel {kind}", code="channel_not_supported"
            ) from None

    def kinds(self) -> Sequence[ChannelKind]:
        return list(self._by_kind)

    async def aclose(self) -> None:
        """Close the clients connectors keep (aiogram's sessions)."""
        for connector in self._by_kind.values():
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()


def build_connectors(
    session: aiohttp.ClientSession,
    files: FileStore | None = None,
    media: FetchPolicy | None = None,
    clock: Clock | None = None,
    messages: MessageRepository | None = None,
) -> Connectors:
    """Every channel the hub speaks. Adding a channel is one line here."""
    return Connectors(
        [
            ApiConnector(session, clock),
            TelegramConnector(files),
            ViberConnector(session, SafeFetcher(media)),
            InstagramConnector(session, clock),
            EmailConnector(files, messages),
        ]
    )


def build_crm_adapters(
    settings: Settings,
    session: aiohttp.ClientSession,
    vault: CredentialStore | None = None,
    clock: Clock | None = None,
) -> list[ExternalCrm]:
    """Every external CRM the outbox pushes to. Adding a CRM is one folder and one line here."""
    adapters: list[ExternalCrm] = []
    b24_settings = settings.crm.bitrix24.model_dump()
    stages = {**Bitrix24Config().stage_map, **b24_settings.pop("stage_map")}
    b24 = Bitrix24Config(**b24_settings, stage_map=stages)
    if b24.usable():
        client = Bitrix24Client(session, b24, vault=vault, clock=clock)
        adapters.append(Bitrix24Crm(client, b24))
    return adapters


def build_crm(
    db: Database,
    settings: Settings,
    http: aiohttp.ClientSession,
    clock: Clock,
    *,
    lines: MongoLineRepository,
    contacts: MongoContactRepository,
    conversations: MongoConversationRepository,
    publisher: RedisEventPublisher,
) -> CrmSide:
    cs = settings.crm
    stores = CrmStores(
        pipelines=MongoPipelineRepository(db),
        companies=MongoCompanyRepository(db),
        leads=MongoLeadRepository(db),
        deals=MongoDealRepository(db),
        tasks=MongoTaskRepository(db),
        notes=MongoNoteRepository(db),
        crm_contacts=MongoCrmContactStore(db),
        merges=MongoMergeRepository(db),
        outbox=MongoOutboxRepository(db),
        refs=MongoRemoteRefRepository(db),
    )
    return build_crm_side(
        stores=stores,
        lines=lines,
        contacts=contacts,
        conversations=conversations,
        publisher=publisher,
        adapters=build_crm_adapters(settings, http, MongoCredentialStore(db), clock),
        clock=clock,
        options=OutboxOptions(
            batch_size=cs.outbox_batch,
            max_attempts=cs.outbox_max_attempts,
            backoff_base_s=cs.outbox_backoff_base_s,
            backoff_max_s=cs.outbox_backoff_max_s,
        ),
    )


@dataclass
class Hub:
    """Everything a process needs, built once by :func:`open_hub`."""

    settings: Settings
    clock: Clock
    db: Database
    redis: Redis
    http: aiohttp.ClientSession
    lines: MongoLineRepository
    contacts: MongoContactRepository
    conversations: MongoConversationRepository
    messages: MongoMessageRepository
    operators: MongoOperatorRepository
    teams: MongoTeamRepository
    tokens: MongoTokenRepository
    files: GridFsFileStore
    publisher: RedisEventPublisher
    connectors: Connectors
    ingest: Ingest
    replier: Replier
    sender: Sender
    router: Router
    crm: CrmView
    crm_side: CrmSide
    attachments: AttachmentFetcher
    inbox: MongoInboxQueries
    canned: MongoCannedRepository
    sessions: RedisSessionStore
    login_limiter: RedisLoginLimiter
    rejections: WebhookRejections
    passwords: PasswordChecker
    routing: RedisRouter | None = None  # the concrete router, for its worker jobs and tools
    mailboxes: EmailPollers | None = None  # IMAP pollers, started by the worker's job only
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def lifecycle(self) -> Lifecycle:
        """Resolve, reopen, snooze and wake: the one path for the API, the CLI and the worker."""
        return Lifecycle(
            conversations=self.conversations,
            snoozed=self.inbox,
            reads=self.inbox,
            router=self.router,
            publisher=self.publisher,
            clock=self.clock,
        )

    def assignment(self) -> Assignment:
        """Claim, transfer and assign: the one path for the API and the CLI."""
        return Assignment(router=self.router, operators=self.operators, teams=self.teams)

    def answer(self) -> Answer:
        """An operator's reply or note: the one path for the API and the CLI."""
        return Answer(
            replier=self.replier, sender=self.sender, router=self.router, spawn=self.spawn
        )

    def line_admin(self) -> LineAdmin:
        """Line writes with the one validation the API and the CLI share."""
        rules = LineRules(
            teams=self.teams, operators=self.operators, pipelines=self.crm_side.stores.pipelines
        )
        return LineAdmin(
            lines=self.lines, connectors=self.connectors, clock=self.clock, rules=rules
        )

    def reporting(self) -> Reporting:
        """Managers' reports, their metrics refresh and the SLA monitor (issue 14)."""
        return Reporting.of(self.db, self.publisher, self.clock)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run work after the HTTP answer; kept referenced and awaited on shutdown."""
        task = asyncio.create_task(coro, name=name)
        self.background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background_task_failed", task=task.get_name(), error=repr(task.exception()))

    async def drain_background(self, within_s: float = 10.0) -> None:
        if self.background:
            await asyncio.wait(set(self.background), timeout=within_s)

    def live_source(self) -> tuple[Redis, str, str]:
        return self.redis, self.publisher.stream, f"{self.settings.redis_prefix}live"

    async def ready(self) -> dict[str, bool]:
        """Whether MongoDB and Redis answer now (the readiness probe)."""
        status = {"mongo": False, "redis": False}
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.db.command("ping"), 2)
            status["mongo"] = True
        with contextlib.suppress(Exception):
            status["redis"] = bool(await asyncio.wait_for(self.redis.ping(), 2))
        return status


def hub_of(app: web.Application) -> Hub:
    """The full hub an app runs on (the web sees it only as a ``WebHub``)."""
    hub = app[HUB]
    if not isinstance(hub, Hub):
        raise TypeError("the app does not run on an inbox.wiring.Hub")
    return hub


def mail_intake(hub: Hub, pollers: EmailPollers | None = None) -> MailIntake:
    """Raw mail to the hub's ingest (what each mailbox poller feeds)."""
    es = hub.settings.email

    async def sink(line: Line, events: Sequence[InboundEvent]) -> None:
        await hub.ingest.follow_up(await hub.ingest.persist(line, events))

    return MailIntake(
        files=hub.files,
        messages=hub.messages,
        sink=sink,
        limits=Limits(
            max_attachment_bytes=es.max_attachment_bytes, max_total_bytes=es.max_total_bytes
        ),
        hub_addresses=pollers.addresses if pollers is not None else None,
    )


def build_mailboxes(hub: Hub) -> EmailPollers:
    """One IMAP poller per email line, for the worker (the web process never starts them)."""
    es = hub.settings.email
    states = MongoMailboxStates(hub.db)
    owner = worker_identity()
    options = PollerOptions(
        idle_renew_s=es.idle_renew_s,
        noop_s=es.noop_s,
        poll_s=es.poll_s,
        call_timeout_s=es.call_timeout_s,
        reconnect_max_s=es.reconnect_max_s,
        lease_s=es.lease_s,
        backlog=es.backlog,
        fetch_batch=es.fetch_batch,
        max_mail_bytes=es.max_mail_bytes,
    )
    holder: list[MailIntake] = []

    def make(line: Line) -> MailboxPoller:
        return MailboxPoller(
            line, intake=holder[0], states=states, clock=hub.clock, owner=owner, options=options
        )

    pollers = EmailPollers(hub.lines, make)
    holder.append(mail_intake(hub, pollers))
    return pollers


@contextlib.asynccontextmanager
async def open_hub(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[Hub]:
    """Open every resource for one process, and close them all on exit."""
    if settings.mongo_url is None or settings.redis_url is None:
        raise RuntimeError("open_hub needs mongo_url and redis_url (start embedded servers first)")
    secret = session_secret(
        settings.secret_key
    )  # before connecting anything: a bad key stops the start
    clock = clock or SystemClock()
    mongo = make_client(settings.mongo_url.get_secret_value())
    redis = make_redis(
        settings.redis_url.get_secret_value(),
        timeout_s=settings.redis_timeout_s,
        retries=settings.redis_retries,
        health_check_s=settings.redis_health_check_s,
    )
    http = aiohttp.ClientSession()
    connectors = Connectors()
    try:
        db = mongo[settings.mongo_db]
        await check_server(db)
        await ensure_indexes(db)
        await ensure_report_indexes(db)
        lines = MongoLineRepository(db)
        contacts = MongoContactRepository(db)
        conversations = MongoConversationRepository(db)
        messages = MongoMessageRepository(db)
        publisher = RedisEventPublisher(redis, settings.redis_prefix, settings.ui.events_maxlen)
        files = GridFsFileStore(db)
        media = policy_from(settings.media_allow_networks, settings.media_max_bytes)
        connectors = build_connectors(http, files, media, clock, messages)
        attachments = AttachmentFetcher(
            lines=lines,
            conversations=conversations,
            messages=messages,
            connectors=connectors,
            files=files,
            publisher=publisher,
            clock=clock,
        )
        rs = settings.routing
        router = RedisRouter(
            state=RoutingState(redis, settings.redis_prefix),
            conversations=conversations,
            lines=lines,
            contacts=contacts,
            operators=MongoOperatorRepository(db),
            teams=MongoTeamRepository(db),
            presence=MongoPresenceRepository(db),
            owners=MongoAccountOwners(db),
            publisher=publisher,
            clock=clock,
            config=RouterConfig(
                heartbeat_timeout_s=rs.heartbeat_timeout_s,
                stale_after_s=rs.stale_after_s,
                cache_s=rs.cache_s,
                drain_batch=rs.drain_batch,
                top_k=rs.top_k,
            ),
        )
        crm_side = build_crm(
            db,
            settings,
            http,
            clock,
            lines=lines,
            contacts=contacts,
            conversations=conversations,
            publisher=publisher,
        )
        await crm_side.pipelines.seed_defaults()
        hub = Hub(
            settings=settings,
            clock=clock,
            db=db,
            redis=redis,
            http=http,
            lines=lines,
            contacts=contacts,
            conversations=conversations,
            messages=messages,
            operators=MongoOperatorRepository(db),
            teams=MongoTeamRepository(db),
            tokens=MongoTokenRepository(db),
            files=files,
            publisher=publisher,
            connectors=connectors,
            ingest=Ingest(
                lines=lines,
                contacts=contacts,
                conversations=conversations,
                messages=messages,
                publisher=publisher,
                hooks=[router, crm_side.hook],  # the router first: assignment never waits on CRM
                clock=clock,
                marks=MongoMessageMarks(db),
                mail=MailThreader(
                    threads=MongoMailThreads(db),
                    conversations=conversations,
                    subject_window_s=settings.email.subject_window_s,
                ),
            ),
            replier=Replier(
                conversations=conversations,
                messages=messages,
                publisher=publisher,
                clock=clock,
                keys=MongoReplyKeys(db),
            ),
            sender=Sender(
                lines=lines,
                contacts=contacts,
                conversations=conversations,
                messages=messages,
                connectors=connectors,
                publisher=publisher,
                clock=clock,
            ),
            router=router,
            crm=crm_side.view,
            crm_side=crm_side,
            attachments=attachments,
            routing=router,
            inbox=MongoInboxQueries(db),
            canned=MongoCannedRepository(db),
            sessions=RedisSessionStore(
                redis, settings.redis_prefix, settings.ui.session_ttl_s, secret
            ),
            login_limiter=RedisLoginLimiter(
                redis,
                settings.redis_prefix,
                settings.ui.login_max_attempts,
                settings.ui.login_window_s,
            ),
            rejections=WebhookRejections(log=MongoRejectedWebhooks(db), clock=clock),
            passwords=PasswordChecker(settings.ui.password_threads),
        )
        hub.ingest.add_hook(attachments)  # after the router: downloads never delay routing
        hub.ingest.add_hook(
            ProfileHook(connectors=connectors, contacts=contacts, publisher=publisher, clock=clock)
        )
        hub.mailboxes = build_mailboxes(hub)
        try:
            yield hub
        finally:
            await hub.mailboxes.aclose()
            await hub.drain_background()
    finally:
        await connectors.aclose()
        await http.close()
        await redis.aclose()
        await mongo.close()
