"""``inbox line add telegram`` as a real process, registering with the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from inbox.devfakes.telegram import FakeTelegram
from tests.channels import TG_TOKEN


async def inbox(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run the command without blocking the loop, so the fake can answer it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "inbox", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 90)
    return process.returncode or 0, out.decode(), err.decode()


async def test_line_add_telegram_calls_getme_and_setwebhook(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    async with FakeTelegram() as fake:
        base = ["line", "add", "telegram", "--name", "Shop bot", "--api-base", fake.base_url]
        public = ["--public-url", "https://inbox.example.test"]
        code, out, err = await inbox(
            [*base, "--token", TG_TOKEN, *public, "--json"], cli_env, tmp_path
        )
        assert code == 0, err
        line = json.loads(out)
        assert line["settings"]["bot_username"] == "fake_123456789_bot"
        assert line["credentials"] == {"secret": "********", "token": "********"}
        hook = fake.webhooks[TG_TOKEN]
        assert hook.url == f"https://inbox.example.test/webhooks/telegram/{line['id']}"

        fake.rejected_tokens.add("42:revoked")
        code, out, err = await inbox([*base, "--token", "42:revoked", *public], cli_env, tmp_path)
        assert code == 2  # a refused value, like every other bad value
        assert err.strip().splitlines() == [
            "error: Telegram refused the setup: Telegram server says - Unauthorized"
        ]
