"""The CRM commands of the ``inbox`` CLI against the real test servers."""

from __future__ import annotations

import json

import pytest

from inbox.cli import main
from inbox.settings import Settings


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    assert settings.mongo_url is not None
    assert settings.redis_url is not None
    monkeypatch.setenv("INBOX_MONGO_URL", settings.mongo_url.get_secret_value())
    monkeypatch.setenv("INBOX_REDIS_URL", settings.redis_url.get_secret_value())
    monkeypatch.setenv("INBOX_MONGO_DB", settings.mongo_db)
    monkeypatch.setenv("INBOX_REDIS_PREFIX", settings.redis_prefix)
    monkeypatch.setenv("INBOX_LOG_LEVEL", "WARNING")
    return settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_pipelines_and_line_rules(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "crm", "pipelines", "list")
    assert code == 0
    assert "new_order > payment > shipping > won > lost" in out

    code, _ = run(
        capsys,
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
    assert code == 0
    code, out = run(capsys, "crm", "pipelines", "list", "--json")
    rent = next(p for p in json.loads(out) if p["id"] == "rent")
    assert [s["id"] for s in rent["stages"]] == ["booked", "out", "returned", "lost"]

    code, out = run(capsys, "line", "add", "api", "--name", "shop", "--json")
    line_id = json.loads(out)["id"]
    code, out = run(capsys, "line", "crm", line_id, "--create", "deal", "--pipeline", "rent")
    assert code == 0
    code, out = run(capsys, "line", "show", line_id, "--json")
    assert json.loads(out)["crm"]["pipeline_id"] == "rent"
    assert main(["line", "crm", line_id, "--create", "deal", "--pipeline", "nope"]) == 1

    code, out = run(capsys, "crm", "outbox")
    assert (code, out.split()) == (0, ["ITEM", "STATUS", "ATTEMPTS", "REMOTE_ID", "LAST_ERROR"])
