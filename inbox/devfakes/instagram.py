"""A fake Graph API for Instagram messaging: ``{base}/v23.0/...`` and media files.

Speaks what the connector uses: ``POST /{id}/messages`` (the Send API, with Graph's
error bodies, the 24-hour window and the ``HUMAN_AGENT`` tag, one private reply per
comment), ``POST /{id}/subscribed_apps``, ``GET /{user_id}?fields=`` (profiles) and
``GET /refresh_access_token``. Pushes webhooks signed with the app secret as Meta does
(``X-Hub-Signature-256``), and, with ``echoes``, the echo of every accepted message
(``echo_first``: before the Send API answers, as happens on the real platform).
Errors are scriptable with :meth:`FakeInstagram.fail_next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from inbox.devfakes.server import FakeServer

VERSION = "v23.0"
ACCOUNT_ID = "17841400000000001"
APP_SECRET = "fake-instagram-app-secret"  # noqa: S105 - only the local fake knows it
TOKEN = "IGAAfake-long-lived-token"  # noqa: S105 - fake too
DAY_S = 86_400.0


@dataclass
class Failure:
    code: int
    subcode: int | None = None
    http: int = 400
    message: str = "scripted failure"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeInstagram(FakeServer):
    def __init__(
        self,
        *,
        account_id: str = ACCOUNT_ID,
        app_secret: str = APP_SECRET,
        token: str = TOKEN,
        echoes: bool = False,
        echo_first: bool = False,
        receipts: bool = False,
    ) -> None:
        super().__init__()
        self.account_id = account_id
        self.app_secret = app_secret
        self.tokens = {token}
        self.echoes = echoes or echo_first
        self.echo_first = echo_first
        self.receipts = receipts  # the customer "reads" each accepted message a second later
        self.webhook_url = ""  # where pushes go (set by the test or the demo)
        self.sent: list[dict[str, Any]] = []  # accepted Send API bodies, with message_id
        self.calls: list[tuple[str, str]] = []  # (method, path)
        self.profiles: dict[str, dict[str, str]] = {}
        self.subscribed: list[str] = []
        self.media: dict[str, bytes] = {}
        self.last_customer: dict[str, float] = {}  # user -> when they last wrote (fake time)
        self.private_replies: set[str] = set()
        self.refresh_failures = 0
        self.clock = time.time
        self._failures: deque[Failure] = deque()
        self._mids = itertools.count(1)
        self._run = secrets.token_hex(4)  # mids stay unique across restarts of the fake
        self._tasks: set[asyncio.Task[Any]] = set()
        base = f"/{VERSION}"
        self.app.router.add_post(base + "/{owner}/messages", self._messages)
        self.app.router.add_post(base + "/{owner}/subscribed_apps", self._subscribe)
        self.app.router.add_get(base + "/refresh_access_token", self._refresh)
        self.app.router.add_get(base + "/{user}", self._profile)
        self.app.router.add_get("/media/{name}", self._media)
        self.app.router.add_post("/demo/write", self._demo_write)

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/{VERSION}"

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self, code: int, *, subcode: int | None = None, http: int = 400, times: int = 1
    ) -> None:
        for _ in range(times):
            self._failures.append(Failure(code, subcode, http))

    def add_media(self, data: bytes, name: str) -> str:
        self.media[name] = data
        return f"{self.base_url}/media/{name}"

    def next_mid(self) -> str:
        return f"aWdfZAG1faXRlbToxOklHTWVzc2FnZA{self._run}{next(self._mids):08d}"

    # ------------------------------------------------------------------ webhooks

    def envelope(self, *items: dict[str, Any], changes: list[Any] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.account_id, "time": int(self.clock() * 1000)}
        if items:
            entry["messaging"] = list(items)
        if changes:
            entry["changes"] = changes
        return {"object": "instagram", "entry": [entry]}

    def item(self, user: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "sender": {"id": user},
            "recipient": {"id": self.account_id},
            "timestamp": int(self.clock() * 1000),
            kind: value,
        }

    def message(self, user: str, text: str | None = None, **fields: Any) -> dict[str, Any]:
        """A customer's message item (``text`` and/or ``attachments``, ``reply_to``...)."""
        self.last_customer[user] = self.clock()
        body: dict[str, Any] = {"mid": fields.pop("mid", None) or self.next_mid(), **fields}
        if text is not None:
            body["text"] = text
        return self.item(user, "message", body)

    def comment(self, user: str, text: str, *, username: str = "customer") -> dict[str, Any]:
        comment_id = f"1790{next(self._mids):012d}"
        return {
            "field": "comments",
            "value": {
                "from": {"id": user, "username": username},
                "media": {"id": "18000000000000001", "media_product_type": "FEED"},
                "id": comment_id,
                "text": text,
            },
        }

    async def push(self, event: dict[str, Any], *, url: str | None = None) -> tuple[int, str]:
        """POST a signed webhook body; returns (HTTP status, body text)."""
        body = json.dumps(event, ensure_ascii=True, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature(self.app_secret, body),
        }
        async with self.client.post(url or self.webhook_url, data=body, headers=headers) as resp:
            return resp.status, await resp.text()

    # ------------------------------------------------------------------ HTTP

    @staticmethod
    def _error(
        code: int, message: str, *, http: int = 400, subcode: int | None = None
    ) -> web.Response:
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException" if code == 190 else "IGApiException",
            "code": code,
            "fbtrace_id": "AbCdEfFake",
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        return web.json_response({"error": error}, status=http)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        token = token or request.query.get("access_token", "")
        return token in self.tokens

    async def _messages(self, request: web.Request) -> web.Response:
        self.calls.append(("POST", request.path))
        if not self._authorized(request):
            return self._error(190, "Invalid OAuth access token - Cannot parse access token")
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return self._error(100, "Invalid JSON")
        recipient = body.get("recipient") or {}
        message = body.get("message") or {}
        problem = self._check(recipient, message)
        if problem:
            return self._error(100, problem)
        if self._failures:
            f = self._failures.popleft()
            return self._error(f.code, f.message, http=f.http, subcode=f.subcode)
        user = str(recipient.get("id") or "")
        comment = recipient.get("comment_id")
        if comment:
            if comment in self.private_replies:
                return self._error(
                    10, "This message is sent outside of allowed window.", subcode=2534022
                )
            self.private_replies.add(str(comment))
        elif user in self.last_customer:
            age = self.clock() - self.last_customer[user]
            tagged = body.get("tag") == "HUMAN_AGENT"
            if age > 7 * DAY_S or (age > DAY_S and not tagged):
                return self._error(
                    10, "This message is sent outside of allowed window.", subcode=2534022
                )
        mid = self.next_mid()
        self.sent.append({**body, "message_id": mid})
        if self.echoes and user:
            echo = self._echo(user, mid, message)
            if self.echo_first:
                await self.push(echo)
            else:
                self._later(self.push(echo))
        if self.receipts and user:
            self._later(self._read_later(user, mid))
        return web.json_response({"recipient_id": user or None, "message_id": mid})

    def _later(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_later(self, user: str, mid: str) -> None:
        await asyncio.sleep(1.0)
        with contextlib.suppress(OSError):
            await self.push(self.envelope(self.item(user, "read", {"mid": mid})))

    async def _demo_write(self, request: web.Request) -> web.Response:
        """``POST /demo/write {"user": "...", "text": "..."}``: that customer writes to us
        (the demo's way to make an Instagram customer write)."""
        try:
            body = await request.json()
            user, text = str(body["user"]), str(body["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            return web.json_response({"error": 'send {"user": ID, "text": TEXT}'}, status=400)
        status, _ = await self.push(self.envelope(self.message(user, text)))
        return web.json_response({"webhook_status": status})

    @staticmethod
    def _check(recipient: dict[str, Any], message: dict[str, Any]) -> str | None:
        if not (recipient.get("id") or recipient.get("comment_id")):
            return "(#100) The parameter recipient is required"
        text = message.get("text")
        if text is None and not message.get("attachment"):
            return "(#100) Message must have text or an attachment"
        if text is not None and (not str(text).strip() or len(str(text).encode()) > 1000):
            return "(#100) Length of param message[text] must be less than or equal to 1000"
        replies = message.get("quick_replies") or []
        if len(replies) > 13 or any(len(q.get("title", "")) > 20 for q in replies):
            return "(#100) Quick replies: at most 13, titles of at most 20 characters"
        attachment = message.get("attachment")
        if attachment and not (attachment.get("payload") or {}).get("url"):
            return "(#100) attachment payload url is required"
        return None

    def _echo(self, user: str, mid: str, message: dict[str, Any]) -> dict[str, Any]:
        echo: dict[str, Any] = {"mid": mid, "is_echo": True}
        if "text" in message:
            echo["text"] = message["text"]
        if "attachment" in message:
            a = message["attachment"]
            echo["attachments"] = [{"type": a.get("type"), "payload": a.get("payload")}]
        item = {
            "sender": {"id": self.account_id},
            "recipient": {"id": user},
            "timestamp": int(self.clock() * 1000),
            "message": echo,
        }
        return self.envelope(item)

    async def app_echo(self, user: str, text: str) -> tuple[int, str]:
        """A person at the business answers from the Instagram app: only an echo arrives."""
        item = {
            "sender": {"id": self.account_id},
            "recipient": {"id": user},
            "timestamp": int(self.clock() * 1000),
            "message": {"mid": self.next_mid(), "text": text, "is_echo": True},
        }
        return await self.push(self.envelope(item))

    async def _subscribe(self, request: web.Request) -> web.Response:
        self.calls.append(("POST", request.path))
        if not self._authorized(request):
            return self._error(190, "Invalid OAuth access token")
        self.subscribed = request.query.get("subscribed_fields", "").split(",")
        return web.json_response({"success": True})

    async def _refresh(self, request: web.Request) -> web.Response:
        self.calls.append(("GET", request.path))
        if self.refresh_failures > 0:
            self.refresh_failures -= 1
            return self._error(190, "Error validating access token: Session has expired")
        if request.query.get("grant_type") != "ig_refresh_token" or not self._authorized(request):
            return self._error(190, "Invalid OAuth access token")
        fresh = f"IGAArefreshed-{next(self._mids)}"
        self.tokens.add(fresh)
        return web.json_response(
            {"access_token": fresh, "token_type": "bearer", "expires_in": 5_184_000}
        )

    async def _profile(self, request: web.Request) -> web.Response:
        self.calls.append(("GET", request.path))
        if not self._authorized(request):
            return self._error(190, "Invalid OAuth access token")
        profile = self.profiles.get(request.match_info["user"])
        if profile is None:
            return self._error(100, "Unsupported get request. Object does not exist", subcode=33)
        return web.json_response({**profile, "id": request.match_info["user"]})

    async def _media(self, request: web.Request) -> web.StreamResponse:
        data = self.media.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="URL signature expired")
        return web.Response(body=data, content_type="application/octet-stream")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await super().close()
