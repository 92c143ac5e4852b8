"""Probes of ``/webhooks/{telegram,viber,api}/{line_id}``: correctly signed ones (to reach
the parsers and the store) and forged ones (to lines that must never store anything)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from connectors.api.config import ApiLineConfig, signed_headers
from tests.channels import FIXTURES
from tests.fuzz import hostile
from tests.fuzz.probes import Probe
from tests.fuzz.target import KINDS, World

SEEDS = {
    "telegram": ["text", "contact", "document", "photo_caption", "location", "edited", "reply"],
    "viber": [
        "message_text",
        "message_file",
        "message_contact",
        "conversation_started",
        "subscribed",
        "message_location",
        "message_picture",
    ],
    "instagram": ["text", "image", "story_reply", "reaction", "unsend", "read", "comment", "batch"],
}
LOOPBACK_URL = "http://127.0.0.1:9/fz"  # nothing listens there: no fetch leaves the machine

# One value per category of the issue, put into the platform payloads by the catalogue.
CATEGORIES: dict[str, Any] = {
    "deep array": hostile.deep_array(),
    "deep object": hostile.deep_object(),
    "4,400-digit integer": hostile.huge_int(),
    "2^63": 2**63,
    "-2^63-1": -(2**63) - 1,
    "2^64": 2**64,
    "date 0001-01-01": "0001-01-01T00:00:00Z",
    "date 9999-12-31 -14:00": "9999-12-31T23:59:59.999999-14:00",
    "Unix time of year 10000": 253_402_300_800,
    "negative Unix time": -62_135_596_801,
    "float overflow": hostile.Raw(b"1e999999", "1e999999"),
    "lone surrogate": "\ud800",
    "raw surrogate bytes": hostile.RAW_SURROGATE,
    "invalid UTF-8": hostile.INVALID_UTF8,
    "huge string": "x" * hostile.HUGE_STRING,
    "empty string": "",
    "over-long id": "x" * 5000,
    "null": None,
    "object instead of scalar": {"$gt": ""},
}


def _scrub(doc: Any) -> Any:
    """Point every URL of a payload at loopback (the hub may fetch media it names)."""
    if isinstance(doc, dict):
        return {k: _scrub(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_scrub(v) for v in doc]
    if isinstance(doc, str) and "://" in doc:
        return LOOPBACK_URL
    return doc


@functools.cache
def seeds(kind: str) -> list[tuple[str, Any]]:
    if kind == "api":
        body = {
            "message_id": "fz-1",
            "user": {
                "id": "u-1",
                "name": "Ann",
                "email": "a@example.com",
                "phone": "+380501112233",
            },
            "text": "hello",
            "attachments": [{"type": "image", "url": LOOPBACK_URL, "name": "a.png", "size": 10}],
            "sent_at": "2026-01-05T09:00:00Z",
            "source": "form",
        }
        return [
            ("message", body),
            ("status", {"type": "status", "message_id": "x", "status": "seen"}),
        ]
    out = []
    for name in SEEDS[kind]:
        path = FIXTURES / kind / "fixtures" / f"{name}.json"
        out.append((name, _scrub(json.loads(path.read_text()))))
    return out


def sign(kind: str, line: Any, body: bytes) -> dict[str, str | bytes]:
    if kind == "api":
        # the line's own scheme (timestamped for new lines), at the hub's wall clock
        scheme = ApiLineConfig.from_line(line).scheme
        return dict(signed_headers(line.secret("secret"), body, now=time.time(), scheme=scheme))
    if kind == "telegram":
        return {"X-Telegram-Bot-Api-Secret-Token": line.secret("secret")}
    if kind == "instagram":
        digest = hmac.new(line.secret("app_secret").encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": "sha256=" + digest}
    digest = hmac.new(line.secret("token").encode(), body, hashlib.sha256).hexdigest()
    return {"X-Viber-Content-Signature": digest}


HEADER = {
    "api": "X-Inbox-Signature",
    "telegram": "X-Telegram-Bot-Api-Secret-Token",
    "viber": "X-Viber-Content-Signature",
    "instagram": "X-Hub-Signature-256",
}


def signed_probe(world: World, kind: str, category: str, body: bytes, **kw: Any) -> Probe:
    line = world.lines[f"{kind} signed"]
    headers: dict[str, str | bytes] = {"Content-Type": kw.pop("content_type", "application/json")}
    headers.update(sign(kind, line, body))
    return Probe(
        f"webhook {kind} signed",
        f"POST /webhooks/{kind}/{{line_id}}",
        kw.pop("method", "POST"),
        f"/webhooks/{kind}/{line.id}",
        category,
        headers,
        body,
        **kw,
    )


def forgeries(world: World, kind: str, body: bytes) -> list[tuple[str, dict[str, str | bytes]]]:
    """Signature headers for the forged-only line that none of its secrets produced."""
    genuine, target = world.lines[f"{kind} signed"], world.lines[f"{kind} forged"]
    out: list[tuple[str, dict[str, str | bytes]]] = [("no signature header", {})]
    out += [(f"forged signature {v[:12]!r}", {HEADER[kind]: v}) for v in hostile.FORGED_SIGNATURES]
    out.append(("signed with another line's secret", sign(kind, genuine, body)))
    if kind != "telegram":  # Telegram's secret token does not sign the body
        out.append(("signature of another body", sign(kind, target, body + b" ")))
    if kind == "telegram":
        out.append(("bot token as secret token", {HEADER[kind]: target.secret("token")}))
    if kind == "instagram":
        sha1 = hmac.new(target.secret("app_secret").encode(), body, hashlib.sha1).hexdigest()
        out.append(("SHA-1 signature only", {"X-Hub-Signature": "sha1=" + sha1}))
    if kind == "viber":
        out.append(
            (
                "signed with the line secret, not the token",
                {
                    HEADER[kind]: hmac.new(
                        target.secret("secret").encode(), body, hashlib.sha256
                    ).hexdigest()
                },
            )
        )
    return out


def forged_probe(
    world: World,
    kind: str,
    category: str,
    body: bytes,
    headers: dict[str, str | bytes],
    method: str = "POST",
) -> Probe:
    line = world.lines[f"{kind} forged"]
    return Probe(
        f"webhook {kind} forged",
        f"POST /webhooks/{kind}/{{line_id}}",
        method,
        f"/webhooks/{kind}/{line.id}",
        category,
        {"Content-Type": "application/json", **headers},
        body,
        forged=True,
    )


def _leaf_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def _put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = _put(doc[path[0]], path[1:], value)
    return copy


# Fields picked by name get the categories that hurt their kind of value the most.
TARGETED: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (
        re.compile(r"(^|_)(id|token)$"),
        (
            "empty string",
            "over-long id",
            "2^63",
            "4,400-digit integer",
            "lone surrogate",
            "null",
            "object instead of scalar",
        ),
    ),
    (re.compile(r"size$"), ("2^63", "2^64", "-2^63-1", "4,400-digit integer", "float overflow")),
    (
        re.compile(r"date$|timestamp$|_at$"),
        (
            "date 0001-01-01",
            "date 9999-12-31 -14:00",
            "Unix time of year 10000",
            "negative Unix time",
            "2^63",
        ),
    ),
    (
        re.compile(r"name$|text$|caption$|phone|title$|email$"),
        (
            "lone surrogate",
            "raw surrogate bytes",
            "invalid UTF-8",
            "huge string",
            "empty string",
            "deep object",
        ),
    ),
]


def targeted(doc: Any) -> Iterator[tuple[str, tuple[Any, ...], Any]]:
    """(label, path, value) for every field of ``doc`` that a TARGETED rule names."""
    for path in _leaf_paths(doc):
        key = str(path[-1]) if path else ""
        for pattern, labels in TARGETED:
            if pattern.search(key):
                for label in labels:
                    yield label, path, CATEGORIES[label]
                break


def catalogue(world: World, spots_per_category: int, stride: int = 1) -> Iterator[Probe]:
    """The issue's categories, deterministically, for every webhook; with ``stride`` n only
    every n-th field-targeted probe."""
    turn = iter(range(10**9))
    for kind in KINDS:
        for label, raw in hostile.RAW_BODIES.items():
            yield signed_probe(world, kind, label, raw)
            yield forged_probe(world, kind, label, raw, {})
        for ct in hostile.CONTENT_TYPES:
            body = hostile.encode(seeds(kind)[0][1])
            yield signed_probe(world, kind, f"content type {ct!r}", body, content_type=ct)
        body = hostile.encode(seeds(kind)[0][1])
        for label, headers in forgeries(world, kind, body):
            yield forged_probe(world, kind, label, body, headers)
        yield forged_probe(world, kind, "GET without signature", b"", {}, method="GET")
        for seed_name, doc in seeds(kind):
            paths = _leaf_paths(doc)
            for i, (label, value) in enumerate(CATEGORIES.items()):
                for j in range(spots_per_category):
                    path = paths[(i * spots_per_category + j) % len(paths)]
                    spot = ".".join(map(str, path))
                    body = hostile.encode(_put(doc, path, value))
                    yield signed_probe(world, kind, f"{label} in {seed_name} {spot}", body)
            for label, path, value in targeted(doc):
                if next(turn) % stride == 0:
                    spot = ".".join(map(str, path))
                    body = hostile.encode(_put(doc, path, value))
                    yield signed_probe(world, kind, f"{label} in {seed_name} {spot}", body)
        for bad_id in [
            "",
            "x" * 5000,
            "%00",
            world.lines[f"{KINDS[(KINDS.index(kind) + 1) % len(KINDS)]} signed"].id,
        ]:
            yield Probe(
                f"webhook {kind} forged",
                f"POST /webhooks/{kind}/{{line_id}}",
                "POST",
                f"/webhooks/{kind}/{bad_id}",
                "wrong or hostile line id",
                {"Content-Type": "application/json"},
                body,
                forged=True,
            )


@st.composite
def random_probe(draw: st.DrawFn, world: World, kind: str, forged: bool) -> Probe:
    """A Hypothesis-generated webhook: a platform payload mutated, or any JSON value."""
    seed_name, doc = draw(st.sampled_from(seeds(kind)))
    doc = draw(st.one_of(hostile.mutated(doc), hostile.mutated(doc), hostile.json_values))
    body = hostile.encode(doc, ascii_only=draw(st.booleans()))
    method = draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT"]))
    category = f"hypothesis ({seed_name})"
    if not forged:
        ct = draw(st.sampled_from(["application/json"] * 6 + hostile.CONTENT_TYPES))
        return signed_probe(world, kind, category, body, method=method, content_type=ct)
    label, headers = draw(st.sampled_from(forgeries(world, kind, body)))
    return forged_probe(world, kind, f"{category}, {label}", body, headers, method)
