"""``inbox demo``: the hub with embedded servers, sample data and a printed login.

Seeds, once per data dir: an admin operator, an API-channel line and a few customer
conversations, sent through the real webhook route with real signatures. Web and worker
run in one process so one command shows everything.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from ipaddress import ip_network

import aiohttp
import structlog
from aiohttp import web

from connectors.api.config import ApiLineConfig, signed_headers
from inbox.demo_channels import channel_fakes
from inbox.demo_email import email_demo
from inbox.domain.models import ChannelKind, CrmCreate, CrmRules, Line, Operator, Role
from inbox.main import run_web, watch_embedded, worker_in_app
from inbox.runtime import resolved
from inbox.security import hash_password
from inbox.services.lines import LineAdmin
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, hub_of, open_hub

log = structlog.get_logger(__name__)

DEMO_LOGIN = "admin"
DEMO_PASSWORD = "inbox-demo"  # noqa: S105 - printed on purpose: a local demo login

SAMPLES = [
    ("web-1", "Olena Kovalenko", "uk", "Добрий день! Чи є у вас доставка до Львова?"),
    ("web-2", "Mark Evans", "en", "Hi, can I get a quote for 40 seats?"),
    ("web-3", "Ivan Petrov", "ru", "Здравствуйте, заказ 1042 ещё не пришёл."),
]


async def seed(hub: Hub) -> tuple[Operator, Line, bool]:
    """Create the demo operator and line unless they exist; returns (op, line, created)."""
    existing = await hub.operators.get_by_login(DEMO_LOGIN)
    lines = [x for x in await hub.lines.list() if x.kind is ChannelKind.API]
    if existing is not None and lines:
        return existing, lines[0], False
    operator = existing or await hub.operators.add(
        Operator(
            login=DEMO_LOGIN,
            name="Demo Admin",
            role=Role.ADMIN,
            languages=("en", "uk", "ru"),
            created_at=hub.clock.now(),
        ),
        hash_password(DEMO_PASSWORD),
    )
    admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
    line = await admin.create(ChannelKind.API, "Website chat", crm=CrmRules(create=CrmCreate.DEAL))
    return operator, line, True


async def post_samples(base_url: str, line: Line) -> None:
    """Customers write in through the real, signed webhook route."""
    scheme = ApiLineConfig.from_line(line).scheme
    async with aiohttp.ClientSession() as session:
        for ext_id, name, lang, text in SAMPLES:
            body = json.dumps(
                {
                    "message_id": f"demo-{ext_id}",
                    "user": {"id": ext_id, "name": name, "language": lang},
                    "text": text,
                },
                ensure_ascii=False,
            ).encode()
            headers = signed_headers(line.secret("secret"), body, now=time.time(), scheme=scheme)
            async with session.post(
                f"{base_url}/webhooks/api/{line.id}", data=body, headers=headers
            ) as resp:
                resp.raise_for_status()


DEMO_MEDIA_NETWORKS = [ip_network("127.0.0.0/8"), ip_network("::1/128")]


def run_demo(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    # The demo's Viber fake serves media on loopback, which downloads refuse by default.
    loopback = [*settings.media_allow_networks, *DEMO_MEDIA_NETWORKS]
    settings = settings.model_copy(update={"media_allow_networks": loopback})
    with resolved(settings) as (ready, servers):
        bind_host = host or ready.host
        bind_port = port if port is not None else ready.port
        base_url = f"http://{bind_host}:{bind_port}"
        app = build_app(ready, open_hub)
        worker_in_app(app)
        died = asyncio.Event()
        if servers is not None:
            watch_embedded(app, servers, died)

        async def seed_ctx(app: web.Application) -> AsyncIterator[None]:
            operator, line, created = await seed(hub_of(app))
            task = asyncio.create_task(_after_start(base_url, line, created, operator))
            yield
            task.cancel()

        app.cleanup_ctx.append(seed_ctx)
        channel_fakes(app, base_url)  # Telegram and Viber through local fakes
        email_demo(app)  # a local mailbox: Dovecot + an SMTP sink (or the sink alone)
        run_web(app, bind_host, bind_port, died, ready)
    return 0


async def _listening(base_url: str, seconds: float = 30.0) -> None:
    """Wait until the web listener answers: the other start-up steps (the demo mailbox's
    Dovecot among them) run before it binds, and take longer than any fixed pause."""
    deadline = asyncio.get_running_loop().time() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            try:
                async with session.get(f"{base_url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                return  # post anyway: the error then says what is wrong
            await asyncio.sleep(0.2)


async def _after_start(base_url: str, line: Line, created: bool, operator: Operator) -> None:
    await _listening(base_url)
    if created:
        try:
            await post_samples(base_url, line)
        except aiohttp.ClientError:
            log.exception("demo_samples_failed")
    print(
        f"\n  Inbox is running: {base_url}/\n"
        f"  Log in as {operator.login} / {DEMO_PASSWORD}\n"
        f"  API-channel webhook: {base_url}/webhooks/api/{line.id}\n"
        "  Stop with Ctrl+C.\n",
        flush=True,
    )
