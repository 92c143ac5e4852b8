"""The log configuration: no local variables in tracebacks, stdlib records rendered alike."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Literal

import pytest
import structlog

from inbox import logconfig

SECRET = "s3cr3t-value-in-a-local"


@pytest.fixture(params=["json", "console"])
def logs(request: pytest.FixtureRequest) -> Iterator[tuple[io.StringIO, str]]:
    fmt: Literal["json", "console"] = request.param
    buf = io.StringIO()
    logconfig.configure("DEBUG", fmt, stream=buf, cache=False)
    yield buf, fmt
    logconfig.unconfigure()


def _fail(password: str) -> None:
    body = {"password": password}
    raise RuntimeError(f"boom with {len(body)} keys")


def test_structlog_tracebacks_show_no_locals(logs: tuple[io.StringIO, str]) -> None:
    buf, fmt = logs
    try:
        _fail(SECRET)
    except RuntimeError:
        structlog.get_logger("t").exception("request_crashed", path="/x")
    out = buf.getvalue()
    assert "request_crashed" in out
    assert "boom with 1 keys" in out  # the traceback is there...
    assert SECRET not in out  # ...without the frame's locals
    if fmt == "json":
        record = json.loads(out.strip().splitlines()[-1])
        assert record["exception"][0]["frames"]


def test_stdlib_records_go_through_the_same_renderer(logs: tuple[io.StringIO, str]) -> None:
    buf, fmt = logs
    try:
        _fail(SECRET)
    except RuntimeError:
        logging.getLogger("aiohttp.server").exception("Error handling request")
    out = buf.getvalue()
    assert "Error handling request" in out
    assert "boom with 1 keys" in out
    assert SECRET not in out
    if fmt == "json":
        record = json.loads(out.strip().splitlines()[-1])
        assert record["logger"] == "aiohttp.server"
        assert record["level"] == "error"


def test_credential_keys_are_masked(logs: tuple[io.StringIO, str]) -> None:
    buf, _ = logs
    structlog.get_logger("t").info("login_failed", login="ann", password=SECRET)
    out = buf.getvalue()
    assert "login_failed" in out
    assert "ann" in out
    assert SECRET not in out
