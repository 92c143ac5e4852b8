"""``inbox line add email`` as a real process: settings stored, secrets masked, bad
settings refused with one clear line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_channel_lines import inbox

BASE = ["line", "add", "email", "--name", "Support mail"]
SERVERS = ["--imap-host", "127.0.0.1", "--imap-port", "10143", "--imap-tls", "none"]
SERVERS += ["--smtp-host", "localhost", "--smtp-port", "10025", "--smtp-tls", "none"]
ACCOUNT = ["--login", "support", "--password", "imap-pass-123", "--address", "support@shop.example"]


async def test_line_add_email_stores_settings_and_masks_secrets(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    args = [*BASE, *SERVERS, *ACCOUNT, "--backlog", "50", "--sent-folder", "Sent", "--json"]
    code, out, err = await inbox(args, cli_env, tmp_path)
    assert (code, err.strip()) == (0, "")
    line = json.loads(out)
    assert line["settings"]["imap_port"] == 10143
    assert line["settings"]["address"] == "support@shop.example"
    assert line["settings"]["backlog"] == 50
    assert line["credentials"]["password"] == "********"
    assert "imap-pass-123" not in out


async def test_line_add_email_refuses_plaintext_to_a_remote_host(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    remote = ["--imap-host", "imap.example.com", "--imap-tls", "none", "--smtp-host", "localhost"]
    code, out, err = await inbox([*BASE, *remote, *ACCOUNT], cli_env, tmp_path)
    assert code == 2  # a refused value: exit 2
    assert err.strip() == (
        "error: imap_tls=none is allowed for loopback hosts only, not 'imap.example.com'"
    )
    assert "imap-pass-123" not in err + out
