"""The hub under test: seeded with a test world, run as a real ``inbox serve`` process on
loopback against the given SecantusDB and Valkey, every line it logs kept in a file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from connectors.api.config import ApiLineConfig, signed_headers
from inbox.devfakes.instagram import ACCOUNT_ID as IG_ACCOUNT_ID
from inbox.devfakes.instagram import APP_SECRET
from inbox.devfakes.instagram import TOKEN as IG_TOKEN
from inbox.domain.models import ChannelKind, Operator, Role, RoutingRules, RoutingStrategy, Team
from inbox.security import hash_password
from inbox.settings import Settings
from inbox.wiring import open_hub
from tests.channels import TG_TOKEN, VIBER_TOKEN
from tests.fuzz.probes import HOST, Probe, send
from tests.helpers import api_body, make_line

PASSWORD = "fuzz operator pass phrase"
ROLES = ("admin", "manager", "operator")
KINDS = ("api", "telegram", "viber", "instagram")
OTHER_TG_TOKEN = "987654321:AAF-other-fuzz-token_value"
OTHER_VIBER_TOKEN = "5553b6ac98765432-f02c5f12174805aa-eaec9cbb5448c5aa"
OTHER_APP_SECRET = "fuzz-other-instagram-app-secret"


def line_settings(kind: str) -> dict[str, Any]:
    """Platform APIs at a closed loopback port: nothing leaves the machine."""
    if kind == "api":
        return {}
    if kind == "instagram":  # the recorded fixtures' account, so events reach the parser
        return {"api_base": "http://127.0.0.1:9/v23.0", "ig_id": IG_ACCOUNT_ID}
    return {"api_base": "http://127.0.0.1:9"}


@dataclass
class World:
    """What the fuzzer knows of the seeded hub: lines, secrets, logins, ids for paths."""

    lines: dict[str, Any] = field(default_factory=dict)  # "api signed" -> Line
    secrets: dict[str, str] = field(default_factory=dict)  # name -> value, watched in logs
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (cookie, csrf)
    ids: dict[str, list[str]] = field(default_factory=dict)  # path parameter -> known ids
    forged_line_ids: list[str] = field(default_factory=list)
    victim_login: str = "victim"

    def auth_headers(self, role: str, mode: str, method: str) -> dict[str, str | bytes]:
        if role == "anonymous":
            return {}
        if mode == "cookie" and role in self.sessions:
            cookie, csrf = self.sessions[role]
            headers: dict[str, str | bytes] = {"Cookie": f"inbox_session={cookie}"}
            if method not in ("GET", "HEAD", "OPTIONS"):
                headers["X-CSRF-Token"] = csrf
            return headers
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def fuzz_settings(mongo_url: str, redis_url: str, data_dir: Path) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return Settings(
        mongo_url=SecretStr(mongo_url),
        redis_url=SecretStr(redis_url),
        mongo_db=f"fuzz_{tag}",
        redis_prefix=f"fz{tag}:",
        data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
    )


async def seed(settings: Settings) -> World:
    """Two teams, a signed and a forged-only line of every kind, people of every role."""
    world = World()
    async with open_hub(settings) as hub:
        now = hub.clock.now()
        team_a, team_b = Team(name="Sales", created_at=now), Team(name="Support", created_at=now)
        await hub.teams.add(team_a)
        await hub.teams.add(team_b)
        routing = RoutingRules(team_id=team_a.id, strategy=RoutingStrategy.MANUAL)
        creds = {
            "api": ({}, {}),
            "telegram": ({"token": TG_TOKEN}, {"token": OTHER_TG_TOKEN}),
            "viber": ({"token": VIBER_TOKEN}, {"token": OTHER_VIBER_TOKEN}),
            "instagram": (
                {
                    "app_secret": APP_SECRET,
                    "access_token": IG_TOKEN,
                    "verify_token": "fz-signed-verify-token-0001",
                },
                {
                    "app_secret": OTHER_APP_SECRET,
                    "access_token": "fz-other-access-token-0001",
                    "verify_token": "fz-forged-verify-token-0001",
                },
            ),
        }
        for kind in KINDS:
            for use, cred in zip(("signed", "forged"), creds[kind], strict=True):
                line = await make_line(
                    hub,
                    ChannelKind(kind),
                    name=f"{kind} {use}",
                    credentials=dict(cred),
                    settings=line_settings(kind),
                    routing=routing,
                )
                world.lines[f"{kind} {use}"] = line
                for name in line.credentials:
                    world.secrets[f"{kind} {use} line {name}"] = line.secret(name)
        world.forged_line_ids = [world.lines[f"{k} forged"].id for k in KINDS]
        people: dict[str, Operator] = {}
        for login, role, teams in [
            ("admin", Role.ADMIN, ()),
            ("manager", Role.MANAGER, (team_a.id,)),
            ("operator", Role.OPERATOR, (team_a.id,)),
            (world.victim_login, Role.OPERATOR, (team_b.id,)),
            ("spare1", Role.OPERATOR, (team_a.id,)),
            ("spare2", Role.MANAGER, (team_b.id,)),
        ]:
            who = Operator(login=login, name=login.title(), role=role, teams=teams, created_at=now)
            await hub.operators.add(who, hash_password(PASSWORD))
            people[login] = who
        world.secrets["operator password"] = PASSWORD
        for role in ROLES:
            _, token = await hub.tokens.issue(people[role].id, "fuzz", now)
            world.tokens[role] = token
            world.secrets[f"{role} API token"] = token
        spare_tokens = [(await hub.tokens.issue(people["spare1"].id, "s", now))[0] for _ in "ab"]
        world.ids = {
            "line_id": [world.lines[f"{k} signed"].id for k in KINDS],
            "operator_id": [people["spare1"].id, people["spare2"].id],
            "team_id": [team_b.id, team_a.id],
            "token_id": spare_tokens,
        }
    return world


class HubProcess:
    """``inbox serve`` on a free loopback port; stdout and stderr go to ``log_path``."""

    def __init__(self, settings: Settings, workdir: Path, log_level: str = "INFO") -> None:
        self.port = free_port()
        self.log_path = workdir / "hub.log"
        assert settings.mongo_url is not None
        assert settings.redis_url is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
        env.update(
            INBOX_MONGO_URL=settings.mongo_url.get_secret_value(),
            INBOX_REDIS_URL=settings.redis_url.get_secret_value(),
            INBOX_MONGO_DB=settings.mongo_db,
            INBOX_REDIS_PREFIX=settings.redis_prefix,
            INBOX_HOST=HOST,
            INBOX_PORT=str(self.port),
            INBOX_LOG_FORMAT="json",
            INBOX_LOG_LEVEL=log_level,
            INBOX_DATA_DIR=str(settings.data_dir),
        )
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "inbox", "serve"],
            env=env,
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the hub exited: {self.log_path.read_text()[-2000:]}")
            probe = Probe("setup", "GET /healthz", "GET", "/healthz", "setup")
            if send(self.port, probe, "fz-ready", 2).status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("the hub did not become ready")

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> str:
        """Stop the hub and return everything it logged."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._log.close()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def log_in(port: int, world: World) -> None:
    """A cookie session per role, made through the real login route."""
    for role in ROLES:
        body = json.dumps({"login": role, "password": PASSWORD}).encode()
        probe = Probe("setup", "POST /api/v1/auth/login", "POST", "/api/v1/auth/login", "setup")
        probe.headers = {"Content-Type": "application/json"}
        probe.body = body
        out = send(port, probe, f"fz-login-{role}", 30)
        cookie = ""
        for part in out.headers.get("Set-Cookie", "").split(";"):
            if part.strip().startswith("inbox_session="):
                cookie = part.strip().split("=", 1)[1]
        if out.status == 200 and cookie:
            world.sessions[role] = (cookie, json.loads(out.body)["csrf_token"])
            world.secrets[f"{role} session"] = cookie


def first_conversation(port: int, world: World) -> None:
    """A customer writes on the signed API line, so conversation routes have a real id."""
    line = world.lines["api signed"]
    body = api_body("fz-seed-1", "fz-user", "hello from the fuzzer")
    probe = Probe("setup", "POST /webhooks/api", "POST", f"/webhooks/api/{line.id}", "setup")
    scheme = ApiLineConfig.from_line(line).scheme
    headers = signed_headers(line.secret("secret"), body, now=time.time(), scheme=scheme)
    probe.headers = {**headers, "Content-Type": "application/json"}
    probe.body = body
    send(port, probe, "fz-seed", 30)


def start(settings: Settings, workdir: Path, log_level: str = "INFO") -> tuple[HubProcess, World]:
    world = asyncio.run(seed(settings))
    hub = HubProcess(settings, workdir, log_level)
    hub.wait_ready()
    log_in(hub.port, world)
    first_conversation(hub.port, world)
    return hub, world
