"""``inbox line add instagram`` as a real process, subscribing with the fake Graph API."""

from __future__ import annotations

import json
from pathlib import Path

from inbox.devfakes.instagram import ACCOUNT_ID, APP_SECRET, TOKEN, FakeInstagram
from tests.cli.test_channel_lines import inbox


async def test_line_add_instagram_subscribes_and_masks_secrets(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    async with FakeInstagram() as fake:
        args = [
            "line", "add", "instagram", "--name", "Shop Instagram", "--ig-id", ACCOUNT_ID,
            "--app-secret", APP_SECRET, "--app-secret", "second-app-secret",
            "--access-token", TOKEN, "--verify-token", "verify-me", "--human-agent",
            "--api-base", fake.api_base, "--public-url", "https://inbox.example.test", "--json",
        ]  # fmt: skip
        code, out, err = await inbox(args, cli_env, tmp_path)
        assert code == 0, err
        line = json.loads(out)
        assert line["kind"] == "instagram"
        assert line["credentials"] == {
            "access_token": "********",
            "app_secret": "********",
            "app_secret_2": "********",
            "secret": "********",
            "verify_token": "********",
        }
        assert line["settings"]["ig_id"] == ACCOUNT_ID
        assert line["settings"]["human_agent"] is True
        assert line["webhook_path"] == f"/webhooks/instagram/{line['id']}"
        assert "messages" in fake.subscribed
        assert TOKEN not in out
        assert APP_SECRET not in out
        assert TOKEN not in err

        code, out, err = await inbox(
            ["line", "add", "instagram", "--name", "Revoked", "--ig-id", ACCOUNT_ID,
             "--app-secret", APP_SECRET, "--access-token", "revoked", "--verify-token", "v",
             "--api-base", fake.api_base, "--public-url", "https://inbox.example.test"],
            cli_env, tmp_path,
        )  # fmt: skip
        assert code == 2  # a value the platform refuses: exit 2, like any bad value
        assert err.strip().splitlines() == [
            "error: Instagram refused the subscription: Instagram rejected the access token "
            "(expired or revoked): an admin must renew it for this line (Invalid OAuth access "
            "token)"
        ]


async def test_line_add_instagram_names_the_missing_flags(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    code, _, err = await inbox(
        ["line", "add", "instagram", "--name", "N", "--ig-id", "1"], cli_env, tmp_path
    )
    assert code == 1
    assert err.strip().splitlines() == [
        "error: an Instagram line needs --app-secret, --access-token, --verify-token"
    ]
