"""A fake Bitrix24 portal: a real aiohttp app on port 0 speaking the REST API we use.

Real method names and answer shapes (``{"result": ..., "time": {...}}``, errors as
``{"error", "error_description"}``, ``batch`` with ``result``/``result_error``), an
incoming-webhook path ``/rest/USER/SECRET/METHOD.json`` and OAuth (``?auth=`` plus
``/oauth/token/``). Knobs make it answer ``QUERY_LIMIT_EXCEEDED`` (HTTP 503), lose an
answer after doing the work (the case that tempts a client into duplicates), or deny a
method.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

ENTITIES = ("contact", "company", "lead", "deal")
_KEY = re.compile(r"[^\[\]]+")


class FakeError(Exception):
    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``fields[PHONE][0][VALUE]=x`` -> nested dicts; all-digit keys become lists."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        keys = _KEY.findall(name)
        node = root
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    def listify(value: Any) -> Any:
        if isinstance(value, dict):
            value = {k: listify(v) for k, v in value.items()}
            if value and all(k.isdigit() for k in value):
                return [value[k] for k in sorted(value, key=int)]
        return value

    return listify(root)  # type: ignore[no-any-return]


def _time() -> dict[str, Any]:
    now = time.time()
    return {"start": now, "finish": now, "duration": 0.001, "processing": 0.001}


class FakeBitrix24:
    def __init__(self, *, user: str = "1", path_key: str = "w3bh00k") -> None:
        self.user = user
        self.secret = path_key
        self.records: dict[str, dict[int, dict[str, Any]]] = {e: {} for e in ENTITIES}
        self.comments: dict[int, dict[str, Any]] = {}
        self._next = 100
        self.requests = 0
        self.methods: list[str] = []  # every method run, batch commands included
        self.limit_next = 0  # answer QUERY_LIMIT_EXCEEDED to this many requests
        self.lose_answer_next = 0  # do the work, then answer 500 without a body
        self.lose_write_answer_next = 0  # the same, only for requests that add or update
        self.deny: set[str] = set()  # methods answered "Access denied."
        # OAuth
        self.client_id = "app.123"
        self.client_secret = "app-secret"  # noqa: S105 - a fake portal's own test value
        self.refresh_tokens = {"rt-0"}
        self.access_tokens: set[str] = set()
        self._issued = 0
        self._server: TestServer | None = None

    # ------------------------------------------------------------ server

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/rest/{user}/{secret}/{method}.json", self._webhook)
        app.router.add_route("*", "/rest/{method}.json", self._oauth_call)
        app.router.add_get("/oauth/token/", self._token)
        self._server = TestServer(app, port=0)
        await self._server.start_server()
        return str(self._server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    @property
    def webhook_url(self) -> str:
        return f"{self.base}/rest/{self.user}/{self.secret}/"

    # ------------------------------------------------------------ HTTP

    async def _webhook(self, request: web.Request) -> web.Response:
        if request.match_info["user"] != self.user or request.match_info["secret"] != self.secret:
            return web.json_response(
                {
                    "error": "INVALID_CREDENTIALS",
                    "error_description": "Invalid request credentials",
                },
                status=401,
            )
        return await self._serve(request)

    async def _oauth_call(self, request: web.Request) -> web.Response:
        if request.query.get("auth") not in self.access_tokens:
            return web.json_response(
                {
                    "error": "expired_token",
                    "error_description": "The access token provided has expired.",
                },
                status=401,
            )
        return await self._serve(request)

    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        if (
            q.get("grant_type") != "refresh_token"
            or q.get("client_id") != self.client_id
            or q.get("client_secret") != self.client_secret
            or q.get("refresh_token") not in self.refresh_tokens
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        self.refresh_tokens.discard(q["refresh_token"])
        self._issued += 1
        n = self._issued
        self.access_tokens.add(f"at-{n}")
        self.refresh_tokens.add(f"rt-{n}")
        return web.json_response(
            {"access_token": f"at-{n}", "refresh_token": f"rt-{n}", "expires_in": 3600}
        )

    async def _serve(self, request: web.Request) -> web.Response:
        self.requests += 1
        method = request.match_info["method"]
        if self.limit_next > 0:
            self.limit_next -= 1
            return web.json_response(
                {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"},
                status=503,
            )
        raw = await request.read()
        params: dict[str, Any] = await request.json() if raw else {}
        ran = len(self.methods)
        try:
            result = self.run(method, params)
        except FakeError as e:
            return web.json_response(
                {"error": e.code, "error_description": e.description}, status=e.status
            )
        wrote = any(m.endswith((".add", ".update")) for m in self.methods[ran:])
        if self.lose_answer_next > 0 or (wrote and self.lose_write_answer_next > 0):
            if self.lose_answer_next > 0:
                self.lose_answer_next -= 1
            else:
                self.lose_write_answer_next -= 1
            return web.Response(status=500, text="Internal Server Error")
        return web.json_response({"result": result, "time": _time()})

    # ------------------------------------------------------------ methods

    def run(self, method: str, params: dict[str, Any]) -> Any:
        if method == "batch":
            return self._batch(params)
        self.methods.append(method)
        if method in self.deny:
            raise FakeError("", "Access denied.", 401)
        parts = method.split(".")
        if parts[:3] == ["crm", "timeline", "comment"]:
            return self._comment(parts[3], params)
        if len(parts) != 3 or parts[0] != "crm" or parts[1] not in ENTITIES:
            raise FakeError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        records = self.records[parts[1]]
        verb = parts[2]
        if verb == "add":
            fields = params.get("fields")
            if not isinstance(fields, dict):
                raise FakeError("", "Parameter 'fields' must be array.")
            self._next += 1
            records[self._next] = dict(fields)
            return self._next
        if verb == "update":
            record = records.get(int(params.get("id") or 0))
            if record is None:
                raise FakeError("", "Not found")
            record.update(params.get("fields") or {})
            return True
        if verb == "get":
            record = records.get(int(params.get("id") or 0))
            if record is None:
                raise FakeError("", "Not found")
            return {"ID": str(params["id"]), **record}
        if verb == "list":
            return self._list(records, params)
        raise FakeError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)

    @staticmethod
    def _list(records: dict[int, dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
        wanted = params.get("filter") or {}
        select = params.get("select") or ["ID"]
        rows = []
        for rid, record in sorted(records.items()):
            full = {"ID": str(rid), **record}
            if all(str(full.get(k, "")) == str(v) for k, v in wanted.items()):
                rows.append({k: full.get(k) for k in select})
        return rows

    def _comment(self, verb: str, params: dict[str, Any]) -> Any:
        if verb == "add":
            fields = params.get("fields") or {}
            entity = str(fields.get("ENTITY_TYPE", ""))
            entity_id = str(fields.get("ENTITY_ID", ""))
            if (
                entity not in ENTITIES
                or not entity_id.isdigit()
                or int(entity_id) not in self.records[entity]
            ):
                raise FakeError("NOT_FOUND", "Not found.")
            self._next += 1
            self.comments[self._next] = dict(fields)
            return self._next
        if verb == "list":
            return self._list(self.comments, params)
        raise FakeError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)

    def _batch(self, params: dict[str, Any]) -> dict[str, Any]:
        halt = str(params.get("halt", "0")) in ("1", "true", "True")
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, cmd in (params.get("cmd") or {}).items():
            method, _, query = str(cmd).partition("?")
            pairs = [
                (k, re.sub(r"\$result\[([^\]]+)\]", lambda m: str(results.get(m[1], "")), v))
                for k, v in parse_qsl(query, keep_blank_values=True)
            ]
            try:
                results[name] = self.run(method, unflatten(pairs))
            except FakeError as e:
                errors[name] = {"error": e.code, "error_description": e.description}
                if halt:
                    break
        return {
            "result": results or [],
            "result_error": errors or [],
            "result_total": [],
            "result_next": [],
            "result_time": [],
        }

    # ------------------------------------------------------------ for assertions

    def find(self, entity: str, origin_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records[entity].values() if r.get("ORIGIN_ID") == origin_id]
