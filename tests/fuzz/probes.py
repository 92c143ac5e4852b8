"""One hostile request (a :class:`Probe`), sent over a fresh loopback connection with a
per-request timeout, and what came back (an :class:`Outcome`)."""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"  # the fuzzer talks to nothing else


@dataclass
class Probe:
    campaign: str  # e.g. "webhook telegram signed" or "api"
    route: str  # the route template, e.g. "POST /api/v1/lines"
    method: str
    path: str  # already percent-encoded
    category: str  # which generator made it: "hypothesis", "deep object body", ...
    headers: dict[str, str | bytes] = field(default_factory=dict)
    body: bytes = b""
    forged: bool = False  # a webhook whose signature no secret of the line produced
    role: str = "anonymous"

    def reproducer(self, redact: dict[str, str]) -> dict[str, Any]:
        """A short, secret-free description of the request for the report."""
        headers = {}
        for name, value in self.headers.items():
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if name.lower() == "x-csrf-token":
                text = "<the session's CSRF token>"
            headers[name] = _redact(_short(text, 120), redact)
        return {
            "method": self.method,
            "path": _redact(_short(self.path, 300), redact),
            "headers": headers,
            "body_bytes": len(self.body),
            "body_excerpt": _redact(excerpt(self.body), redact),
            "category": self.category,
            "role": self.role,
        }


@dataclass
class Outcome:
    status: int | None  # None: no answer (timeout or connection closed)
    body: bytes
    headers: dict[str, str]
    seconds: float
    error: str | None = None  # "timeout" or the connection error


def send(port: int, probe: Probe, request_id: str, timeout: float) -> Outcome:
    headers = {**probe.headers, "X-Request-Id": request_id}
    if probe.body or probe.method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(probe.body))
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.putrequest(probe.method, probe.path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, _wire(value))
        conn.endheaders(probe.body or None)
        resp = conn.getresponse()
        body = resp.read()
        return Outcome(resp.status, body, dict(resp.getheaders()), time.monotonic() - started)
    except TimeoutError:
        return Outcome(None, b"", {}, time.monotonic() - started, "timeout")
    except ValueError as e:  # a header or path http.client refuses to write: not sent
        return Outcome(None, b"", {}, 0.0, f"unsendable: {e}")
    except (OSError, http.client.HTTPException) as e:
        return Outcome(None, b"", {}, time.monotonic() - started, f"{type(e).__name__}: {e}")
    finally:
        conn.close()


def _wire(value: str | bytes) -> str | bytes:
    if isinstance(value, bytes):
        return value
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
    return value


def excerpt(body: bytes, limit: int = 400) -> str:
    """The body as printable text; a run of one short piece is written `` ([)*3200 ``."""
    text = repr(body[:65_536])[2:-1]
    text = re.sub(
        r"(\\x..|.{1,6}?)\1{7,}",
        lambda m: f" ({m.group(1)})*{len(m.group(0)) // len(m.group(1))} ",
        text,
    )
    if len(body) > 65_536:
        text += f"...[{len(body)} bytes]"
    return _short(text, limit)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...[{len(text)} chars]"


def _redact(text: str, secrets: dict[str, str]) -> str:
    for name, value in secrets.items():
        text = text.replace(value, f"<{name}>")
    return text
