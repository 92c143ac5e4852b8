"""Small helpers for tests: make lines, sign bodies, post webhooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from connectors.api.config import ApiLineConfig, signed_headers
from inbox.domain.models import ChannelKind, Line, Operator, Role
from inbox.services.lines import LineAdmin
from inbox.web.keys import HUB
from inbox.wiring import Hub


async def make_line(hub: Hub, kind: ChannelKind = ChannelKind.API, **kw: Any) -> Line:
    admin = LineAdmin(lines=hub.lines, connectors=hub.connectors, clock=hub.clock)
    return await admin.create(kind, kw.pop("name", f"{kind.value} line"), **kw)


def api_body(message_id: str, user_id: str = "u-1", text: str = "hello", **extra: Any) -> bytes:
    payload = {"message_id": message_id, "user": {"id": user_id, "name": "Ann"}, "text": text}
    payload.update(extra)
    return json.dumps(payload).encode()


def signed(line: Line, body: bytes, hub: Hub) -> dict[str, str]:
    """The headers a sender puts on ``body`` for ``line``, at the hub's current time."""
    scheme = ApiLineConfig.from_line(line).scheme
    now = hub.clock.now().timestamp()
    return signed_headers(line.secret("secret"), body, now=now, scheme=scheme)


async def post_api(client: TestClient, line: Line, body: bytes) -> tuple[int, Any]:  # type: ignore[type-arg]
    headers = signed(line, body, client.app[HUB])
    resp = await client.post(f"/webhooks/api/{line.id}", data=body, headers=headers)
    return resp.status, await resp.json()


async def operator_with_token(
    hub: Hub, login: str, role: Role = Role.OPERATOR, **fields: Any
) -> tuple[Operator, dict[str, str]]:
    """An operator and the Authorization header of a fresh API token for them."""
    operator = Operator(
        login=login, name=login.title(), role=role, created_at=hub.clock.now(), **fields
    )
    await hub.operators.add(operator, None)
    _, token = await hub.tokens.issue(operator.id, "tests", hub.clock.now())
    return operator, {"Authorization": f"Bearer {token}"}


def run_inbox(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the ``inbox`` command as a real process."""
    return subprocess.run(  # noqa: S603 - our own console entry point
        [sys.executable, "-m", "inbox", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
