"""Probes of every operation in the hub's own OpenAPI document (``/api/v1/openapi.json``),
bodies generated from each route's JSON schema with hypothesis-jsonschema and then made
hostile, plus the issue's categories for every path, query parameter and body."""

from __future__ import annotations

import functools
import importlib
import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from pydantic import BaseModel, create_model

from tests.fuzz import hostile
from tests.fuzz.hooks import CATEGORIES, LOOPBACK_URL
from tests.fuzz.probes import Probe
from tests.fuzz.target import PASSWORD, World

_PARAM = re.compile(r"\{(\w+)\}")
URL_KEYS = {"url", "api_base", "callback_url", "public_url", "webhook_url", "portal_url"}

# Routes added outside the registry carry no body schema in the document; these are the
# models their handlers read (resolved by name, so a renamed model only loses coverage).
EXTRA_BODIES: list[tuple[str, str, str]] = [
    ("POST", r"/crm/pipelines$", "inbox.web.crm_schema:PipelineIn"),
    ("PUT", r"/crm/pipelines/\{", "inbox.web.crm_schema:PipelineIn"),
    ("PUT", r"/crm/lines/.*/rules$", "inbox.domain.models:CrmRules"),
    ("POST", r"/leads/.*/move$", "inbox.web.crm_schema:LeadMoveIn"),
    ("POST", r"/convert$", "inbox.web.crm_schema:ConvertIn"),
    ("POST", r"/disqualify$", "inbox.web.crm_schema:DisqualifyIn"),
    ("POST", r"/deals/.*/move$", "inbox.web.crm_schema:DealMoveIn"),
    ("PUT", r"/amount$", "inbox.web.crm_schema:AmountIn"),
    ("POST", r"/crm/tasks$", "inbox.web.crm_schema:TaskIn"),
    ("POST", r"/crm/notes$", "inbox.web.crm_schema:NoteIn"),
    ("POST", r"/crm/companies$", "inbox.web.crm_schema:CompanyIn"),
    ("PUT", r"/company$", "inbox.web.crm_schema:ContactCompanyIn"),
    ("POST", r"/crm/merges$", "inbox.web.crm_schema:MergeIn"),
    ("PATCH", r"/lines/.*/routing$", "routing-patch"),
]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: tuple[tuple[str, str, str], ...]  # (name, in, json schema as JSON text)
    body: str | None  # the JSON schema of the body as JSON text, refs resolvable
    multipart: bool

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def _model(ref: str) -> type[BaseModel] | None:
    if ref == "routing-patch":
        models = importlib.import_module("inbox.domain.models")
        return create_model(  # type: ignore[call-overload, no-any-return]
            "RoutingPatch",
            routing=(models.RoutingRules | None, None),
            business_hours=(models.BusinessHours | None, None),
            timezone=(str | None, None),
        )
    module, _, name = ref.partition(":")
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def operations(spec: dict[str, Any]) -> list[Operation]:
    components = spec.get("components", {})
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            method = method.upper()
            params = tuple(
                (p["name"], p["in"], json.dumps(p.get("schema", {})))
                for p in op.get("parameters", [])
            )
            content = op.get("requestBody", {}).get("content", {})
            body: dict[str, Any] | None = None
            if "application/json" in content:
                body = {**content["application/json"]["schema"], "components": components}
            for m, pattern, ref in EXTRA_BODIES:
                model = (
                    _model(ref)
                    if body is None and m == method and re.search(pattern, path)
                    else None
                )
                if model is not None:
                    schema = model.model_json_schema(ref_template="#/$defs/{model}")
                    body = schema
            ops.append(
                Operation(
                    method,
                    path,
                    params,
                    json.dumps(body) if body else None,
                    "multipart/form-data" in content,
                )
            )
    return ops


@functools.cache
def body_strategy(schema_text: str) -> st.SearchStrategy[Any] | None:
    try:
        strategy = from_schema(json.loads(schema_text))
        find(strategy, lambda _: True, settings=_quiet())  # fails now if the schema can't be drawn
    except Exception:
        return None
    return strategy


@functools.cache
def simplest_body(schema_text: str) -> Any:
    strategy = body_strategy(schema_text)
    if strategy is None:
        return {}
    try:
        return _scrub(find(strategy, lambda _: True, settings=_quiet()))
    except Exception:
        return {}


def _quiet() -> settings:
    return settings(
        database=None, max_examples=200, suppress_health_check=list(HealthCheck), deadline=None
    )


def _scrub(doc: Any) -> Any:
    """Keep every URL on loopback: the hub must never be made to call out of the machine."""
    if isinstance(doc, dict):
        return {k: (LOOPBACK_URL if k in URL_KEYS else _scrub(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_scrub(v) for v in doc]
    if isinstance(doc, str) and ("://" in doc or doc.startswith("//")):
        return LOOPBACK_URL
    return doc


def quote(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


def fill_path(op: Operation, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: quote(values.get(m.group(1), "unknown-id")), op.path)


def make_probe(
    world: World,
    op: Operation,
    *,
    category: str,
    role: str = "admin",
    mode: str = "bearer",
    path_values: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
    body: bytes = b"",
    content_type: str | None = "application/json",
) -> Probe:
    values = {
        name: (world.ids.get(name) or ["unknown-id"])[0]
        for name, where, _ in op.params
        if where == "path"
    }
    values.update(path_values or {})
    path = fill_path(op, values)
    if query:
        path += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    if path.endswith("/auth/logout"):
        mode = "bearer"  # keep the role's cookie session alive for later probes
    headers = world.auth_headers(role, mode, op.method)
    if content_type is not None and (body or op.method in ("POST", "PUT", "PATCH")):
        headers["Content-Type"] = content_type
    return Probe("api", op.route, op.method, path, category, headers, body, role=role)


def _login_bodies(world: World) -> dict[str, tuple[str, bytes]]:
    login, pw = world.victim_login, PASSWORD
    good = json.dumps({"login": login, "password": pw}).encode()
    return {
        "login: password then invalid UTF-8": ("application/json", good[:-2] + b'\xff"}'),
        "login: password with lone surrogate": (
            "application/json",
            hostile.encode({"login": login, "password": pw + "\ud800"}),
        ),
        "login: password and a 4,400-digit integer": (
            "application/json",
            good[:-1] + b', "n": ' + hostile.huge_int().data + b"}",
        ),
        "login: password and deep nesting": (
            "application/json",
            good[:-1] + b', "n": ' + hostile.deep_array().data + b"}",
        ),
        "login: text/plain with the password": ("text/plain", good),
        "login: form body with the password": (
            "application/x-www-form-urlencoded",
            urllib.parse.urlencode({"login": login, "password": pw}).encode(),
        ),
        "login: password as an object": (
            "application/json",
            hostile.encode({"login": login, "password": {"$ne": pw}}),
        ),
    }


def catalogue(world: World, op: Operation, stride: int = 1) -> Iterator[Probe]:
    """The issue's categories, deterministically, for one operation; with ``stride`` n,
    only every n-th hostile path, query or body value (rotating with the route)."""
    turn = iter(range(len(op.path), 10**9))

    def keep() -> bool:
        return next(turn) % stride == 0

    unsafe = op.method in ("POST", "PUT", "PATCH", "DELETE")
    modes = iter(["bearer", "cookie"] * 1000)
    if op.path.endswith("/auth/login"):
        for label, (ct, body) in _login_bodies(world).items():
            yield make_probe(
                world, op, category=label, body=body, content_type=ct, role="anonymous"
            )
    if unsafe:
        for label, raw in hostile.RAW_BODIES.items():
            yield make_probe(world, op, category=label, body=raw, mode=next(modes))
        base = hostile.encode(simplest_body(op.body)) if op.body else b"{}"
        for ct in hostile.CONTENT_TYPES:
            yield make_probe(
                world, op, category=f"content type {ct!r}", body=base, content_type=ct or None
            )
    if op.multipart or op.path.endswith("/auth/login"):
        for label, (ct, raw) in hostile.multipart_bodies().items():
            yield make_probe(world, op, category=label, body=raw, content_type=ct)
    for name, where, _ in op.params:
        if where == "path":
            for bad in hostile.IDS:
                if keep():
                    yield make_probe(
                        world,
                        op,
                        category=f"path {name}={str(bad)[:12]!r}",
                        path_values={name: bad},
                        mode=next(modes),
                    )
        else:
            values = (
                hostile.CURSORS
                if name in ("cursor", "before", "after")
                else [
                    "9" * hostile.HUGE_DIGITS,
                    str(2**63),
                    "-1",
                    "0001-01-01T00:00:00",
                    "9999-12-31T23:59:59-14:00",
                    "\ud800",
                    "x" * 5000,
                    "",
                    "$gt",
                ]
            )
            for bad in values:
                if keep():
                    yield make_probe(
                        world, op, category=f"query {name}={bad[:12]!r}", query={name: bad}
                    )
    if op.body:
        base_doc = simplest_body(op.body)
        if isinstance(base_doc, dict):
            for key in base_doc or {"x": 1}:
                for label, value in CATEGORIES.items():
                    if not keep():
                        continue
                    doc = {**base_doc, key: value}
                    yield make_probe(
                        world,
                        op,
                        category=f"{label} in body.{key}",
                        body=hostile.encode(doc),
                        mode=next(modes),
                    )


@st.composite
def random_probe(draw: st.DrawFn, world: World, op: Operation) -> Probe:
    """A Hypothesis-generated request for one operation, as a random role."""
    role = draw(st.sampled_from(["admin", "admin", "manager", "operator", "anonymous"]))
    mode = draw(st.sampled_from(["bearer", "cookie"]))
    values: dict[str, str] = {}
    query: dict[str, Any] = {}
    for name, where, schema in op.params:
        known = world.ids.get(name) or ["unknown-id"]
        if where == "path":
            values[name] = draw(
                st.one_of(st.sampled_from(known), st.sampled_from(known), hostile.path_texts)
            )
        elif draw(st.booleans()):
            generated = body_strategy(schema)
            options = [
                hostile.path_texts,
                st.sampled_from(hostile.CURSORS),
                hostile.leaves.map(lambda v: v if isinstance(v, str) else str(v)),
            ]
            if generated is not None:
                options.append(generated)
            query[name] = draw(st.one_of(*options))
    body = b""
    if op.method in ("POST", "PUT", "PATCH") or draw(st.integers(0, 9)) == 0:
        generated = body_strategy(op.body) if op.body else None
        options = [hostile.json_values.map(lambda d: {"x": d}), hostile.json_values]
        if generated is not None:
            options = [
                generated,
                generated.flatmap(hostile.mutated),
                generated.flatmap(hostile.mutated),
                *options,
            ]
        doc = _scrub(draw(st.one_of(*options)))
        body = hostile.encode(doc, ascii_only=draw(st.booleans()))
        if draw(st.integers(0, 9)) == 0:
            body = draw(st.sampled_from(list(hostile.RAW_BODIES.values())))
    ct = draw(st.sampled_from(["application/json"] * 8 + hostile.CONTENT_TYPES))
    return make_probe(
        world,
        op,
        category="hypothesis",
        role=role,
        mode=mode,
        path_values=values,
        query=query,
        body=body,
        content_type=ct or None,
    )
