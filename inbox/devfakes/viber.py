"""A fake Viber REST Bot API: ``POST {base}/pa/{endpoint}`` and media files.

Checks ``X-Viber-Auth-Token``, answers HTTP 200 with Viber's ``status`` codes, sends the
signed ``webhook`` verification callback from inside ``set_webhook`` (the setup fails if
it does not get a 200, as on Viber), enforces the limit of messages to a user who has not
replied (status 12), and pushes signed callbacks (messages, receipts, subscriptions).
Errors are scriptable with :meth:`FakeViber.fail_next` (e.g. 12, 5, 6, or HTTP 5xx).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from inbox.devfakes.server import FakeServer

STATUS_MESSAGES = {
    0: "ok",
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    10: "webhookNotSet",
    12: "tooManyRequests",
}
UNANSWERED_LIMIT = 100


@dataclass
class Failure:
    status: int  # a Viber status code, or an HTTP status when ``http`` is True
    http: bool = False


def signature(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class FakeViber(FakeServer):
    def __init__(self, *, unanswered_limit: int = UNANSWERED_LIMIT, receipts: bool = False) -> None:
        super().__init__()
        # receipts: after each accepted message, report it delivered then seen (the demo).
        self.receipts = receipts
        self._tasks: set[asyncio.Task[None]] = set()
        self.webhooks: dict[str, dict[str, Any]] = {}  # token -> set_webhook body
        self.sent: list[dict[str, Any]] = []  # send_message bodies accepted, with message_token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.unsubscribed: set[str] = set()
        self.rejected_tokens: set[str] = set()
        self.media: dict[str, bytes] = {}
        self.unanswered_limit = unanswered_limit
        self._unanswered: Counter[str] = Counter()
        self._failures: deque[Failure] = deque()
        self._tokens = itertools.count(5_741_311_803_571_721_087)  # above 2**53, like Viber's
        self.app.router.add_post("/pa/{endpoint}", self._api)
        self.app.router.add_get("/media/{name}", self._media)

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/pa"

    # ------------------------------------------------------------------ scripting

    def fail_next(self, status: int = 12, *, http: bool = False, times: int = 1) -> None:
        """The next ``send_message`` calls answer this Viber status (or HTTP status)."""
        for _ in range(times):
            self._failures.append(Failure(status, http))

    def add_media(self, data: bytes, name: str) -> str:
        """A media file as Viber hosts it; returns its URL."""
        self.media[name] = data
        return f"{self.base_url}/media/{name}"

    def next_token(self) -> int:
        return next(self._tokens)

    # ------------------------------------------------------------------ callbacks

    def message_event(
        self, user_id: str, text: str | None = None, *, name: str = "Customer", **content: Any
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "text", **content}
        if text is not None:
            message["text"] = text
        return {
            "event": "message",
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-01_",
            "message_token": self.next_token(),
            "sender": {
                "id": user_id,
                "name": name,
                "language": "uk",
                "country": "UA",
                "api_version": 10,
            },
            "message": message,
            "silent": False,
        }

    def receipt(
        self, event: str, message_token: int | str, user_id: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            "event": event,
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-01_",
            "message_token": message_token,
            "user_id": user_id,
            **extra,
        }

    def user_event(
        self, event: str, user_id: str, *, name: str = "Customer", **extra: Any
    ) -> dict[str, Any]:
        return {
            "event": event,
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-01_",
            "message_token": self.next_token(),
            "user": {
                "id": user_id,
                "name": name,
                "language": "uk",
                "country": "UA",
                "api_version": 10,
            },
            **extra,
        }

    async def push(self, token: str, event: dict[str, Any]) -> tuple[int, Any]:
        """Deliver a signed callback to the bot's webhook; returns (HTTP status, JSON answer)."""
        url = self.webhooks[token]["url"]
        if event.get("event") == "message":
            self._unanswered[event["sender"]["id"]] = 0  # a reply resets Viber's counter
        return await self._post(url, token, event)

    async def _post(self, url: str, token: str, event: dict[str, Any]) -> tuple[int, Any]:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Viber-Content-Signature": signature(token, body),
        }
        async with self.client.post(url, data=body, headers=headers) as resp:
            text = await resp.text()
            try:
                answer = json.loads(text) if text else None
            except json.JSONDecodeError:
                answer = text
            return resp.status, answer

    # ------------------------------------------------------------------ HTTP

    @staticmethod
    def _status(status: int, **extra: Any) -> web.Response:
        return web.json_response(
            {
                "status": status,
                "status_message": STATUS_MESSAGES.get(status, "generalError"),
                **extra,
            }
        )

    async def _api(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        token = request.headers.get("X-Viber-Auth-Token", "")
        if not token:
            return web.json_response({"status": 2, "status_message": "missing_auth_token"})
        if token in self.rejected_tokens:
            return self._status(2)
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return self._status(3)
        self.calls.append((endpoint, body))
        if endpoint == "set_webhook":
            return await self._set_webhook(token, body)
        if endpoint == "send_message":
            return self._send_message(body)
        if endpoint == "get_account_info":
            return self._status(
                0,
                id="pa:fake",
                name="Fake Viber Bot",
                uri="fakebot",
                webhook=self.webhooks.get(token, {}).get("url", ""),
            )
        return self._status(3)

    async def _set_webhook(self, token: str, body: dict[str, Any]) -> web.Response:
        url = str(body.get("url", ""))
        if not url:
            self.webhooks.pop(token, None)
            return self._status(0)
        verification = {
            "event": "webhook",
            "timestamp": int(time.time() * 1000),
            "chat_hostname": "SN-CHAT-01_",
            "message_token": self.next_token(),
        }
        try:
            status, _ = await self._post(url, token, verification)
        except OSError:
            status = 0
        if status != 200:
            return web.json_response(
                {"status": 1, "status_message": f"Result[HttpRequest[POST {url}] failed: {status}]"}
            )
        self.webhooks[token] = body
        event_types = body.get("event_types") or [
            "delivered",
            "seen",
            "failed",
            "subscribed",
            "unsubscribed",
            "conversation_started",
        ]
        return self._status(0, chat_hostname="SN-CHAT-01_", event_types=event_types)

    def _send_message(self, body: dict[str, Any]) -> web.Response:
        receiver = body.get("receiver")
        kind = body.get("type")
        sender = body.get("sender") or {}
        if not receiver or not kind or not sender.get("name"):
            return self._status(4)
        if len(str(sender["name"])) > 28:
            return self._status(3)
        if kind == "text" and not str(body.get("text", "")).strip():
            return self._status(3)
        if kind in ("picture", "file", "video") and not body.get("media"):
            return self._status(3)
        if self._failures:
            failure = self._failures.popleft()
            if failure.http:
                return web.Response(status=failure.status, text="upstream error")
            return self._status(failure.status)
        if receiver in self.unsubscribed:
            return self._status(6)
        if self._unanswered[receiver] >= self.unanswered_limit:
            return self._status(12)
        self._unanswered[receiver] += 1
        token = self.next_token()
        self.sent.append({**body, "message_token": token})
        if self.receipts:
            task = asyncio.create_task(self._report(token, str(receiver)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return self._status(0, message_token=token, chat_hostname="SN-CHAT-01_", billing_status=1)

    async def _report(self, token: int, receiver: str) -> None:
        """Tell the bot its message was delivered, then seen, as a phone would."""
        bot_token = next(iter(self.webhooks), None)
        if bot_token is None:
            return
        for event in ("delivered", "seen"):
            await asyncio.sleep(1.0)
            with contextlib.suppress(OSError):
                await self.push(bot_token, self.receipt(event, token, receiver))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await super().close()

    async def _media(self, request: web.Request) -> web.StreamResponse:
        data = self.media.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")
