"""What every ``inbox`` subcommand module shares: output and running against a hub.

A module of its own so that :mod:`inbox.cli` and the subcommand modules it assembles
(:mod:`inbox.cli_crm`, :mod:`inbox.cli_routing`) all import it and never each other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from inbox.runtime import resolved
from inbox.settings import Settings
from inbox.wiring import Hub, open_hub


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """``data`` as JSON with ``--json``, else the human-readable ``text``."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Rows as left-aligned columns under ``header``."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def with_hub(fn: Callable[[Hub, argparse.Namespace], Awaitable[None]]) -> Callable[..., int]:
    """A command run with a hub opened (and embedded servers started) for its duration."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        async def go(resolved_settings: Settings) -> None:
            async with open_hub(resolved_settings) as hub:
                await fn(hub, args)

        with resolved(settings) as (ready, _servers):
            asyncio.run(go(ready))
        return 0

    return run
