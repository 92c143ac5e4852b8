"""Every error path of a test line and operator, with every log line and error body kept:
none of them may carry the line's credentials or the operator's password.

The probe found the API signing secret, the Telegram token and secret token, the Viber
token and plaintext passwords in the web log: tracebacks rendered every frame's local
variables (a non-ASCII signature crashed with the secret in scope, login during a Redis
outage or with one invalid byte crashed with the body in scope). This drives a real web
app (logging configured as in production, JSON and console, at DEBUG) against real
SecantusDB, its own Valkey (stopped half way), the fake Telegram and Viber APIs and a
fake callback receiver, then greps everything.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from connectors.api.config import Scheme, signed_headers
from inbox import logconfig
from inbox.devfakes.telegram import FakeTelegram
from inbox.devfakes.viber import FakeViber, signature
from inbox.domain.clock import FrozenClock
from inbox.domain.errors import InboxError
from inbox.domain.models import ChannelKind, Line, Role
from inbox.embedded import EmbeddedServers
from inbox.services.lines import LineAdmin
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.conftest import existing_hub
from tests.fakes import callback_sink
from tests.helpers import api_body, make_line
from tests.web.api.support import make_operator, token_for

TG_TOKEN = "555000111:AAF-unique-Telegram-token_for-leak-test"
VIBER_TOKEN = "4453b6ac0ddba11a-viber-leak-test-token-e02c5f12"
PASSWORD = "correct horse battery"  # make_operator's password
CHAT = 424242
VIBER_USER = "viberUser01234567890A="


class Record:
    """Everything a person or a log file could see."""

    def __init__(self) -> None:
        self.log = io.StringIO()
        self.bodies: list[str] = []
        self.errors: list[str] = []

    async def keep(self, resp: Any) -> int:
        self.bodies.append(await resp.text())
        return int(resp.status)

    def error(self, e: BaseException) -> None:
        self.errors.extend([str(e), repr(e), repr(e.args)])


@pytest.fixture(params=["json", "console"])
def record(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Iterator[Record]:
    kept = Record()
    logconfig.configure("DEBUG", request.param, stream=kept.log, cache=False)
    caplog.set_level(logging.DEBUG)
    yield kept
    logconfig.unconfigure()


@pytest.fixture
async def world(
    settings: Settings, tmp_path: Path, record: Record
) -> AsyncIterator[tuple[Hub, TestClient, EmbeddedServers]]:  # type: ignore[type-arg]
    valkey = EmbeddedServers(tmp_path / "valkey", memory=True)
    valkey.start(mongo=False)
    own = settings.model_copy(update={"redis_url": SecretStr(valkey.redis_url)})
    try:
        async with open_hub(own, clock=FrozenClock()) as hub:
            app = build_app(own, existing_hub(hub))
            async with TestClient(TestServer(app)) as client:
                yield hub, client, valkey
            await hub.db.client.drop_database(own.mongo_db)
    finally:
        valkey.stop()


async def raw(client: TestClient, path: str, body: bytes, headers: list[bytes]) -> bytes:  # type: ignore[type-arg]
    reader, writer = await asyncio.open_connection(client.host, client.port)
    head = [f"POST {path} HTTP/1.1".encode(), b"Host: x", b"Connection: close"]
    head += [f"Content-Length: {len(body)}".encode(), *headers]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


HOSTILE = [
    b"{not json",
    b'{"a": "\xff\xfe"}',
    b"[" * 3500 + b"]" * 3500,
    b'{"n": ' + b"9" * 5000 + b"}",
    b'{"message_id": "\\ud800", "user": {"id": "u"}, "text": "x"}',
    b'{"message_id": 5, "user": {"id": "u"}, "text": "x"}',
    b"[1, 2]",
    b"",
]


async def webhook_errors(
    rec: Record,
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    lines: dict[str, Line],
    fake_tg: FakeTelegram,
    fake_viber: FakeViber,
) -> None:
    api, legacy, tg, viber = lines["api"], lines["legacy"], lines["telegram"], lines["viber"]
    now = hub.clock.now().timestamp()
    for line in (api, legacy):
        path = f"/webhooks/api/{line.id}"
        scheme: Scheme = "timestamped" if line is api else "body"
        for body in HOSTILE:
            headers = signed_headers(line.secret("secret"), body, now=now, scheme=scheme)
            await rec.keep(await client.post(path, data=body, headers=headers))
        body = api_body("m-ok")
        stale = signed_headers(line.secret("secret"), body, now=now - 3600, scheme=scheme)
        for headers in ({"X-Inbox-Signature": "sha256=00"}, {}, stale):
            await rec.keep(await client.post(path, data=body, headers=headers))
        for value in ("sha256=é".encode(), b"\xff\xfe", "ф".encode() * 70):
            rec.bodies.append(
                (await raw(client, path, body, [b"X-Inbox-Signature: " + value])).decode(
                    "utf-8", "replace"
                )
            )
        big = b'{"text": "' + b"x" * (hub.settings.webhook_max_body + 1) + b'"}'
        await rec.keep(
            await client.post(
                path,
                data=big,
                headers=signed_headers(line.secret("secret"), big, now=now, scheme=scheme),
            )
        )
    tg_path = f"/webhooks/telegram/{tg.id}"
    tg_secret = tg.secret("secret")
    for body in HOSTILE:
        headers = {"X-Telegram-Bot-Api-Secret-Token": tg_secret}
        await rec.keep(await client.post(tg_path, data=body, headers=headers))
    for value in (b"wrong", "é".encode(), b"\xff", b""):
        answer = await raw(client, tg_path, b"{}", [b"X-Telegram-Bot-Api-Secret-Token: " + value])
        rec.bodies.append(answer.decode("utf-8", "replace"))
    viber_path = f"/webhooks/viber/{viber.id}"
    for body in HOSTILE:
        headers = {"X-Viber-Content-Signature": signature(VIBER_TOKEN, body)}
        await rec.keep(await client.post(viber_path, data=body, headers=headers))
    for value in (b"00", "é".encode(), b"\xff\xfe"):
        answer = await raw(client, viber_path, b"{}", [b"X-Viber-Content-Signature: " + value])
        rec.bodies.append(answer.decode("utf-8", "replace"))


async def login_errors(rec: Record, client: TestClient, login: str) -> None:  # type: ignore[type-arg]
    pw = json.dumps(PASSWORD).encode()
    bodies = [
        b'{"login": "' + login.encode() + b'", "password": ' + pw + b', "x": "\xff"}',
        b'{"login": "' + login.encode() + b'", "password": ' + pw + b', "x": ' + b"[" * 3500,
        b'{"login": "' + login.encode() + b'", "password": ' + pw + b', "n": ' + b"9" * 5000 + b"}",
        b'{"login": "' + login.encode() + b'", "password": ' + pw + b", ",
        b'{"login": ["' + login.encode() + b'"], "password": ' + pw + b"}",
    ]
    for body in bodies:
        resp = await client.post(
            "/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
        )
        await rec.keep(resp)
    for content_type, body in (
        ("application/x-www-form-urlencoded", f"login={login}&password={PASSWORD}".encode()),
        ("text/plain", json.dumps({"login": login, "password": PASSWORD}).encode()),
    ):
        resp = await client.post(
            "/api/v1/auth/login", data=body, headers={"Content-Type": content_type}
        )
        await rec.keep(resp)
    for password in ("wrong " + PASSWORD, PASSWORD):
        for who in (login, "nobody"):
            resp = await client.post(
                "/api/v1/auth/login", json={"login": who, "password": password}
            )
            await rec.keep(resp)


async def viber_weird_api() -> TestServer:
    """A Viber API that answers nonsense: the send path crashes on it, with the token near."""

    async def weird(request: web.Request) -> web.Response:
        return web.json_response({"status": "not-a-number", "status_message": "?"})

    app = web.Application()
    app.router.add_post("/pa/{endpoint}", weird)
    server = TestServer(app)
    await server.start_server()
    return server


async def send_errors(
    rec: Record,
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    lines: dict[str, Line],
    fake_tg: FakeTelegram,
    fake_viber: FakeViber,
    admin_headers: dict[str, str],
) -> None:
    tg_conv = await inbound_telegram(hub, lines["telegram"], fake_tg)
    for status, description in (
        (400, f"Bad Request: wrong file identifier/HTTP URL /bot{TG_TOKEN}/sendMessage"),
        (401, f"Unauthorized: bot{TG_TOKEN}"),
        (500, f"Internal Server Error at /bot{TG_TOKEN}/"),
        (429, None),
    ):
        fake_tg.fail_next("sendMessage", status=status, description=description)
        await send_one(rec, hub, tg_conv)
    viber_conv = await inbound_viber(hub, lines["viber"], fake_viber)
    for status, http in ((12, False), (6, False), (500, True)):
        fake_viber.fail_next(status, http=http)
        await send_one(rec, hub, viber_conv)
    weird = await viber_weird_api()
    weird_base = str(weird.make_url("/pa"))
    try:
        weird_line = lines["viber"].model_copy(
            update={"settings": {**lines["viber"].settings, "api_base": weird_base}}
        )
        await hub.lines.replace(weird_line)
        await send_one(rec, hub, viber_conv)
    finally:
        await weird.close()
    status, _ = await post_signed(client, hub, lines["api"], api_body("m-in", user_id="c-1"))
    assert status == 200
    api_msg = await hub.messages.get_by_external(lines["api"].id, "m-in")
    assert api_msg is not None
    async with callback_sink([500, 400, 429]) as sink:
        await hub.lines.replace(
            lines["api"].model_copy(
                update={"settings": {**lines["api"].settings, "callback_url": sink.url}}
            )
        )
        for _ in range(3):
            await send_one(rec, hub, api_msg.conversation_id)
    await send_one(rec, hub, api_msg.conversation_id)  # the receiver is gone now
    for conversation_id in (tg_conv, viber_conv, api_msg.conversation_id):
        resp = await client.get(
            f"/api/v1/conversations/{conversation_id}/messages", headers=admin_headers
        )
        assert await rec.keep(resp) == 200


async def send_one(rec: Record, hub: Hub, conversation_id: str) -> None:
    reply = await hub.replier.reply(conversation_id, None, "Thanks, we are on it")
    sent = await hub.sender.attempt(reply.id)
    assert sent is not None
    rec.bodies.append(sent.model_dump_json())


async def post_signed(client: TestClient, hub: Hub, line: Line, body: bytes) -> tuple[int, Any]:  # type: ignore[type-arg]
    headers = signed_headers(
        line.secret("secret"), body, now=hub.clock.now().timestamp(), scheme="timestamped"
    )
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
    return resp.status, await resp.json()


async def inbound_telegram(hub: Hub, line: Line, fake: FakeTelegram) -> str:
    update = fake.private_message(CHAT, "Hello")
    assert await fake.push(TG_TOKEN, update) == 200
    stored = await hub.messages.get_by_external(
        line.id, f"{CHAT}:{update['message']['message_id']}"
    )
    assert stored is not None
    return stored.conversation_id


async def inbound_viber(hub: Hub, line: Line, fake: FakeViber) -> str:
    event = fake.message_event(VIBER_USER, "Hello")
    status, _ = await fake.push(VIBER_TOKEN, event)
    assert status == 200
    stored = await hub.messages.get_by_external(line.id, str(event["message_token"]))
    assert stored is not None
    return stored.conversation_id


async def setup_errors(
    rec: Record,
    client: TestClient,  # type: ignore[type-arg]
    hub: Hub,
    fake_tg: FakeTelegram,
    admin_headers: dict[str, str],
) -> None:
    admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
    public = str(client.make_url("")).rstrip("/")
    for method, status in (("getMe", 401), ("setWebhook", 400), ("getMe", 500)):
        fake_tg.fail_next(method, status=status, description=f"refused /bot{TG_TOKEN}/{method}")
        with pytest.raises(InboxError) as raised:
            await admin.create(
                ChannelKind.TELEGRAM,
                "failing bot",
                credentials={"token": TG_TOKEN},
                settings={"api_base": fake_tg.base_url},
                public_url=public,
            )
        rec.error(raised.value)
    bad_lines = [
        {"kind": "telegram", "name": "x", "credentials": {"token": TG_TOKEN}, "timezone": 5},
        {"kind": "viber", "name": "", "credentials": {"token": VIBER_TOKEN}},
        {"kind": "telegram", "name": "y", "credentials": {"token": 7}},
    ]
    for body in bad_lines:
        resp = await client.post("/api/v1/lines", json=body, headers=admin_headers)
        await rec.keep(resp)


async def test_no_error_path_writes_a_secret(
    world: tuple[Hub, TestClient, EmbeddedServers],  # type: ignore[type-arg]
    record: Record,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub, client, valkey = world
    public = str(client.make_url("")).rstrip("/")
    async with FakeTelegram() as fake_tg, FakeViber() as fake_viber:
        lines = {
            "api": await make_line(hub, name="site"),
            "legacy": await make_line(hub, name="old", settings={"signature_scheme": "body"}),
            "telegram": await make_line(
                hub,
                ChannelKind.TELEGRAM,
                name="bot",
                credentials={"token": TG_TOKEN},
                settings={"api_base": fake_tg.base_url},
                public_url=public,
            ),
            "viber": await make_line(
                hub,
                ChannelKind.VIBER,
                name="viber",
                credentials={"token": VIBER_TOKEN},
                settings={"api_base": fake_viber.api_base},
                public_url=public,
            ),
        }
        admin = await make_operator(hub, "root", Role.ADMIN)
        operator = await make_operator(hub, "anna")
        admin_headers = await token_for(hub, admin)
        await webhook_errors(record, client, hub, lines, fake_tg, fake_viber)
        await setup_errors(record, client, hub, fake_tg, admin_headers)
        await send_errors(record, client, hub, lines, fake_tg, fake_viber, admin_headers)
        await login_errors(record, client, operator.login)
        await hub.drain_background()
        valkey.stop()  # Redis goes away: logins and sessions fail
        await login_errors(record, client, operator.login)
        resp = await client.get("/api/v1/me", headers=admin_headers)
        await record.keep(resp)
        await hub.drain_background()

    secrets = {
        "API signing secret": lines["api"].secret("secret"),
        "legacy API signing secret": lines["legacy"].secret("secret"),
        "Telegram token": TG_TOKEN,
        "Telegram secret token": lines["telegram"].secret("secret"),
        "Viber token": VIBER_TOKEN,
        "operator password": PASSWORD,
    }
    logs = record.log.getvalue() + caplog.text
    assert logs.count("\n") > 100  # the error paths did run and log
    seen = {
        "logs": logs,
        "error bodies": "\n".join(record.bodies),
        "raised errors": "\n".join(record.errors),
    }
    leaks = [
        f"{what} in {where}"
        for what, value in secrets.items()
        for where, text in seen.items()
        if value in text
    ]
    assert leaks == []
    assert len(record.bodies) > 80
    assert len(record.errors) == 9
