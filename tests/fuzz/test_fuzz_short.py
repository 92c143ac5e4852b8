"""The short fuzz run of ``make test``: every webhook and every API route of a real hub get
hostile input (deterministic: the same inputs every run); any 5xx, hang, secret in an
answer or a log line, or stored forgery fails it, each with its reproducer."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox.embedded import EmbeddedServers
from tests.fuzz.run import Budget, run

SHORT = Budget(examples=3, spots=1, seconds=45, timeout=10, seed=None, stride=4)


def test_hostile_input_gets_no_5xx_hang_leak_or_stored_forgery(
    servers: EmbeddedServers, tmp_path: Path
) -> None:
    report = run(servers.mongo_url, servers.redis_url, tmp_path, SHORT)
    assert report.meta["operations"] >= 40  # the OpenAPI document was read and driven
    assert report.meta["hub_alive_at_end"]
    assert report.meta["requests"] >= 1000
    if report.failed():
        pytest.fail(f"{report.meta}\n{report.text_table()}", pytrace=False)
