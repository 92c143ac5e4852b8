"""``inbox demo`` as a new user starts it: the banner, then an inbox with its sample
conversations already in it (the website-chat samples are posted once the web listener
answers, however long the other start-up steps take)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from inbox.demo import SAMPLES
from inbox.domain.models import ChannelKind
from inbox.wiring import Hub
from tests.fuzz.target import free_port


async def test_demo_starts_with_its_sample_conversations(
    hub: Hub, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "INBOX_PORT": str(free_port()), "INBOX_LOG_LEVEL": "INFO"}
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        demo = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "inbox",
            "demo",
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            for _ in range(600):
                if "Inbox is running" in log_path.read_text():
                    break
                assert demo.returncode is None, log_path.read_text()[-2000:]
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("no banner within 60 s")
            api = [c for c in await hub.conversations.list() if c.channel is ChannelKind.API]
            output = log_path.read_text()
            assert "demo_samples_failed" not in output, output[-2000:]
            assert len(api) == len({s[0] for s in SAMPLES})
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(demo.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(demo.wait(), timeout=30)
            except TimeoutError:
                os.killpg(demo.pid, signal.SIGKILL)
                await demo.wait()
