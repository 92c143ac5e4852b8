"""The CRM commands of the ``inbox`` CLI, run as a real process against the test servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inbox.settings import Settings


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    return {
        **os.environ,
        "INBOX_MONGO_URL": settings.mongo_url.get_secret_value(),
        "INBOX_REDIS_URL": settings.redis_url.get_secret_value(),
        "INBOX_MONGO_DB": settings.mongo_db,
        "INBOX_REDIS_PREFIX": settings.redis_prefix,
        "INBOX_LOG_LEVEL": "WARNING",
    }


def inbox(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console entry point
        [sys.executable, "-m", "inbox", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pipelines_and_line_rules(env: dict[str, str], tmp_path: Path) -> None:
    added = inbox(
        env,
        tmp_path,
        "crm",
        "pipelines",
        "add",
        "--id",
        "rent",
        "--name",
        "Rentals",
        "--stage",
        "booked:Booked",
        "--stage",
        "out:Handed out",
        "--won",
        "returned",
    )
    assert added.returncode == 0, added.stderr
    listed = inbox(env, tmp_path, "crm", "pipelines", "list", "--json")
    pipelines = {p["id"]: p for p in json.loads(listed.stdout)}
    assert [s["id"] for s in pipelines["rent"]["stages"]] == ["booked", "out", "returned", "lost"]
    assert [s["id"] for s in pipelines["b2c"]["stages"]][:3] == ["new_order", "payment", "shipping"]

    line_id = json.loads(
        inbox(env, tmp_path, "line", "add", "api", "--name", "shop", "--json").stdout
    )["id"]
    ok = inbox(
        env, tmp_path, "line", "crm", line_id, "--create", "deal", "--pipeline", "rent", "--json"
    )
    assert json.loads(ok.stdout)["pipeline_id"] == "rent"
    bad = inbox(env, tmp_path, "line", "crm", line_id, "--create", "deal", "--pipeline", "nope")
    assert bad.returncode == 1
    assert "pipeline nope not found" in bad.stderr
