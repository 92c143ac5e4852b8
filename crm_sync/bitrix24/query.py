"""PHP-style nested query strings, the form Bitrix24's ``batch`` commands are written in."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``{"fields": {"TITLE": "x"}}`` -> ``[("fields[TITLE]", "x")]``; lists get indexes."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            out += flatten(value, name)
        elif isinstance(value, list | tuple):
            out += flatten({str(i): v for i, v in enumerate(value)}, name)
        elif value is None:
            continue
        elif isinstance(value, bool):
            out.append((name, "Y" if value else "N"))
        else:
            out.append((name, str(value)))
    return out


def command(method: str, params: dict[str, Any]) -> str:
    """One batch command: ``method?a[b]=c``; ``$result[...]`` references stay unescaped."""
    parts = []
    for name, value in flatten(params):
        safe = "$[]" if value.startswith("$result[") else ""
        parts.append(f"{quote(name, safe='[]')}={quote(value, safe=safe)}")
    return f"{method}?{'&'.join(parts)}" if parts else method
