"""A fake Telegram Bot API: ``POST /bot{token}/{method}`` and ``GET /file/bot{token}/{path}``.

Speaks the real envelopes (``{"ok": true, "result": ...}`` and
``{"ok": false, "error_code", "description", "parameters"}``), reads aiogram's multipart
forms, keeps what bots sent, and can push updates to a bot's webhook with the secret
header, as Telegram does. Errors are scriptable: :meth:`FakeTelegram.fail_next` (429 with
``retry_after``, 400, 5xx...) and :meth:`FakeTelegram.block` (403 for one chat).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from inbox.devfakes.server import FakeServer

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOKEN_RE = re.compile(r"^(\d+):[\w-]+$")
TEXT_LIMIT = 4096


@dataclass
class Failure:
    method: str | None
    status: int
    description: str
    retry_after: int | None = None
    skip: int = 0  # let this many matching calls succeed first


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] = field(default_factory=list)


class FakeTelegram(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.webhooks: dict[str, Webhook] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []  # (token, method, params)
        self.sent: list[dict[str, Any]] = []  # messages the bots sent, as Telegram returned them
        self.files: dict[str, tuple[bytes, str]] = {}  # file_id -> (bytes, file_path)
        self.blocked: set[int] = set()
        self.rejected_tokens: set[str] = set()
        self.expired_paths: set[str] = set()
        self._failures: deque[Failure] = deque()
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1001)
        )
        self._update_ids = itertools.count(500_000_001)
        self._file_ids = itertools.count(1)
        self.app.router.add_route("*", "/bot{token}/{method}", self._api)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._file)

    # ------------------------------------------------------------------ scripting

    def fail_next(
        self,
        method: str | None = "sendMessage",
        *,
        status: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """The next ``times`` calls of ``method`` (None: any method) fail like Telegram does,
        after ``after`` calls that succeed."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                400: "Bad Request: chat not found",
                403: "Forbidden: bot was blocked by the user",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "Error")
        if status == 429 and retry_after is None:
            retry_after = 1
        for _ in range(times):
            self._failures.append(Failure(method, status, description, retry_after, after))

    def expire_file(self, file_id: str) -> None:
        """getFile still answers, but the download link is gone (404), like an old path."""
        self.expired_paths.add(self.files[file_id][1])

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends to this chat get 403."""
        self.blocked.add(chat_id)

    def add_file(self, data: bytes, name: str = "file.bin") -> str:
        """A file the platform holds (as if a customer uploaded it); returns its file_id."""
        n = next(self._file_ids)
        file_id = f"BQACAgIAAxkBAAI{n:06d}fake"
        self.files[file_id] = (data, f"documents/file_{n}_{name}")
        return file_id

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    # ------------------------------------------------------------------ updates

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def private_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        first_name: str = "Customer",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        message_id: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """An update with a private-chat message from a customer (``content``: photo=...)."""
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        chat = {k: v for k, v in user.items() if k not in ("is_bot", "language_code")}
        message: dict[str, Any] = {
            "message_id": message_id
            if message_id is not None
            else next(self._message_ids[chat_id]),
            "from": user,
            "chat": {**chat, "type": "private"},
            "date": int(time.time()),
            **content,
        }
        if text is not None:
            message["text"] = text
        return {"update_id": self.next_update_id(), "message": message}

    async def push(self, token: str, update: dict[str, Any]) -> int:
        """Deliver an update to the bot's webhook like Telegram; returns the HTTP status."""
        hook = self.webhooks[token]
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        async with self.client.post(hook.url, data=body, headers=headers) as resp:
            await resp.read()
            return resp.status

    # ------------------------------------------------------------------ HTTP

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "data": value.file.read()}
            else:
                params[key] = value
        params.update(request.query)
        # aiogram uploads a file as its own part and names it in the field: attach://<name>
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.pop(value.removeprefix("attach://"), value)
        return params

    def _take_failure(self, method: str) -> Failure | None:
        for failure in list(self._failures):
            if failure.method in (None, method):
                if failure.skip > 0:
                    failure.skip -= 1
                    return None
                self._failures.remove(failure)
                return failure
        return None

    async def _api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if not _TOKEN_RE.match(token) or token in self.rejected_tokens:
            return self._error(401, "Unauthorized")
        params = await self._params(request)
        self.calls.append((token, method, params))
        failure = self._take_failure(method)
        if failure is not None:
            return self._error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result: web.Response = await handler(token, params)
        return result

    def _bot_user(self, token: str) -> dict[str, Any]:
        bot_id = int(token.split(":", 1)[0])
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Fake Shop Bot",
            "username": f"fake_{bot_id}_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getme(self, token: str, params: dict[str, Any]) -> web.Response:
        return self._ok(self._bot_user(token))

    async def _m_setwebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        url = str(params.get("url", ""))
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            return self._error(400, "Bad Request: secret token contains unallowed characters")
        if not url:
            self.webhooks.pop(token, None)
            return web.json_response(
                {"ok": True, "result": True, "description": "Webhook was deleted"}
            )
        if not url.startswith(("https://", "http://")):
            return self._error(
                400, "Bad Request: bad webhook: HTTPS URL must be provided for webhook"
            )
        allowed = params.get("allowed_updates")
        self.webhooks[token] = Webhook(
            url=url,
            secret_token=str(secret) if secret is not None else None,
            allowed_updates=json.loads(allowed)
            if isinstance(allowed, str)
            else list(allowed or []),
        )
        return web.json_response({"ok": True, "result": True, "description": "Webhook was set"})

    async def _m_deletewebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        self.webhooks.pop(token, None)
        return web.json_response({"ok": True, "result": True, "description": "Webhook was deleted"})

    async def _m_getwebhookinfo(self, token: str, params: dict[str, Any]) -> web.Response:
        hook = self.webhooks.get(token)
        return self._ok(
            {
                "url": hook.url if hook else "",
                "has_custom_certificate": False,
                "pending_update_count": 0,
                "allowed_updates": hook.allowed_updates if hook else [],
            }
        )

    def _chat(self, params: dict[str, Any]) -> int | web.Response:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            return self._error(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _message(self, token: str, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids[chat_id]),
            "from": self._bot_user(token),
            "chat": {"id": chat_id, "type": "private", "first_name": "Customer"},
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v is not None},
        }
        self.sent.append(message)
        return message

    async def _m_sendmessage(self, token: str, params: dict[str, Any]) -> web.Response:
        chat = self._chat(params)
        if isinstance(chat, web.Response):
            return chat
        text = str(params.get("text", ""))
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            return self._error(400, "Bad Request: message is too long")
        return self._ok(self._message(token, chat, text=text))

    def _stored_file(self, value: Any, name: str) -> dict[str, Any] | web.Response:
        if isinstance(value, dict):  # an upload
            file_id = self.add_file(value["data"], value["filename"] or name)
            size = len(value["data"])
        elif isinstance(value, str) and value in self.files:
            file_id, size = value, len(self.files[value][0])
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id, size = self.add_file(value.encode(), name), 0
        else:
            return self._error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return {"file_id": file_id, "file_unique_id": file_id[-12:], "file_size": size}

    async def _m_sendphoto(self, token: str, params: dict[str, Any]) -> web.Response:
        chat = self._chat(params)
        if isinstance(chat, web.Response):
            return chat
        stored = self._stored_file(params.get("photo"), "photo.jpg")
        if isinstance(stored, web.Response):
            return stored
        photo = [{**stored, "width": 800, "height": 600}]
        return self._ok(self._message(token, chat, photo=photo, caption=params.get("caption")))

    async def _m_senddocument(self, token: str, params: dict[str, Any]) -> web.Response:
        chat = self._chat(params)
        if isinstance(chat, web.Response):
            return chat
        value = params.get("document")
        stored = self._stored_file(value, "document")
        if isinstance(stored, web.Response):
            return stored
        name = value["filename"] if isinstance(value, dict) else None
        document = {**stored, "file_name": name} if name else stored
        return self._ok(
            self._message(token, chat, document=document, caption=params.get("caption"))
        )

    async def _m_getfile(self, token: str, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            return self._error(400, "Bad Request: invalid file_id")
        data, path = self.files[file_id]
        return self._ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "file_size": len(data),
                "file_path": path,
            }
        )

    async def _file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        if path in self.expired_paths:
            return web.Response(status=404, text="Not Found")
        for data, file_path in self.files.values():
            if file_path == path:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")
