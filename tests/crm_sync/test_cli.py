"""The CRM commands of the ``inbox`` CLI, run as a real process against the test servers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import run_inbox


def inbox(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_inbox(list(args), env, cwd)


def test_pipelines_and_line_rules(cli_env: dict[str, str], tmp_path: Path) -> None:
    added = inbox(
        cli_env,
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
    listed = inbox(cli_env, tmp_path, "crm", "pipelines", "list", "--json")
    pipelines = {p["id"]: p for p in json.loads(listed.stdout)}
    assert [s["id"] for s in pipelines["rent"]["stages"]] == ["booked", "out", "returned", "lost"]
    assert [s["id"] for s in pipelines["b2c"]["stages"]][:3] == ["new_order", "payment", "shipping"]

    line_id = json.loads(
        inbox(cli_env, tmp_path, "line", "add", "api", "--name", "shop", "--json").stdout
    )["id"]
    ok = inbox(
        cli_env,
        tmp_path,
        "line",
        "crm",
        line_id,
        "--create",
        "deal",
        "--pipeline",
        "rent",
        "--json",
    )
    assert json.loads(ok.stdout)["pipeline_id"] == "rent"
    bad = inbox(cli_env, tmp_path, "line", "crm", line_id, "--create", "deal", "--pipeline", "nope")
    assert bad.returncode == 2  # a refused value: the line validation the REST API shares
    assert bad.stderr.strip() == "error: crm.pipeline_id: unknown pipeline 'nope'"
