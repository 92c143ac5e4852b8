"""The ``inbox`` command, run as a real process against the test servers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inbox.embedded import EmbeddedServers, free_port
from tests.helpers import run_inbox

COMMANDS = [
    ["serve"],
    ["worker"],
    ["demo"],
    ["line", "add"],
    ["line", "list"],
    ["line", "show"],
    ["operator", "add"],
    ["operator", "list"],
]


def inbox(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return run_inbox(args, env, cwd, timeout)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(
    command: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = inbox([*command, "--help"], cli_env, tmp_path)
    assert result.returncode == 0
    assert "usage: inbox" in result.stdout


def test_line_and_operator_commands_round_trip_as_json(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    added = inbox(
        ["line", "add", "api", "--name", "Site", "--callback-url", "http://x.test/cb", "--json"],
        cli_env,
        tmp_path,
    )
    assert added.returncode == 0, added.stderr
    line = json.loads(added.stdout)
    assert line["kind"] == "api"
    assert line["credentials"] == {"secret": "********"}
    assert line["webhook_path"] == f"/webhooks/api/{line['id']}"
    listed = json.loads(inbox(["line", "list", "--json"], cli_env, tmp_path).stdout)
    assert [x["id"] for x in listed] == [line["id"]]
    shown = json.loads(inbox(["line", "show", line["id"], "--json"], cli_env, tmp_path).stdout)
    assert shown["settings"]["callback_url"] == "http://x.test/cb"

    op = inbox(
        [
            "operator",
            "add",
            "--login",
            "ann",
            "--password",
            "long-enough",
            "--role",
            "manager",
            "--language",
            "uk",
            "--json",
        ],
        cli_env,
        tmp_path,
    )
    assert op.returncode == 0, op.stderr
    assert json.loads(op.stdout)["languages"] == ["uk"]
    ops = json.loads(inbox(["operator", "list", "--json"], cli_env, tmp_path).stdout)
    assert [(o["login"], o["role"]) for o in ops] == [("ann", "manager")]
    assert "password" not in op.stdout


def test_errors_are_one_line_not_a_traceback(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = inbox(["line", "show", "nope"], cli_env, tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: line nope not found"
    inbox(["operator", "add", "--login", "bob"], cli_env, tmp_path)
    taken = inbox(["operator", "add", "--login", "bob"], cli_env, tmp_path)
    assert taken.returncode == 1
    assert "Traceback" not in taken.stderr
    assert "login 'bob' is taken" in taken.stderr
    short = inbox(["operator", "add", "--login", "c", "--password", "short"], cli_env, tmp_path)
    assert short.returncode == 1
    assert "at least 8" in short.stderr


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback test URL
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _wait_ready(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


def serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env.update({"INBOX_PORT": str(port), "INBOX_LOG_FORMAT": "json"})
    return subprocess.Popen(
        [sys.executable, "-m", "inbox", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def child_pids(tmp_path: Path) -> list[int]:
    """Children of the hub named in the state file, read from /proc."""
    state = json.loads((tmp_path / ".data" / "embedded.json").read_text())
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == state["pid"]:
            children.append(int(stat.parent.name))
    return children


@pytest.mark.slow
def test_serve_starts_embedded_servers_and_stops_them_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
        children = child_pids(tmp_path)
        assert len(children) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (tmp_path / ".data" / "embedded.json").exists()


@pytest.mark.slow
def test_serve_stops_with_a_clear_error_when_a_child_dies(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        for pid in child_pids(tmp_path):
            os.kill(pid, signal.SIGKILL)
        assert process.wait(timeout=30) == 1
        _, err = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
    assert "error: an embedded server died" in err
    assert "Traceback" not in err


def test_serve_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path / "other", memory=True)
    servers.start(mongo=False)
    try:
        busy = servers.children[0].port
        env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
        env["INBOX_PORT"] = str(busy)
        result = subprocess.run(
            [sys.executable, "-m", "inbox", "serve"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        servers.stop()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"port {busy}" in result.stderr
