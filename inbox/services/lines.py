"""Line administration: create a line and register its webhook with the platform."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, ValidationError

from inbox.domain.clock import Clock
from inbox.domain.ids import new_secret
from inbox.domain.line_checks import InvalidLine, check_line
from inbox.domain.models import ChannelKind, Line
from inbox.domain.ports import ConnectorRegistry, LineRepository
from inbox.services.line_rules import LineRules


def webhook_url(public_url: str, line: Line) -> str:
    return f"{public_url.rstrip('/')}/webhooks/{line.kind.value}/{line.id}"


def _revalidated(data: dict[str, Any]) -> Line:
    """A line from its fields, a bad one refused as :class:`InvalidLine` (never a traceback)."""
    try:
        return Line.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0] if e.errors() else {"loc": ("line",), "msg": "invalid"}
        raise InvalidLine(".".join(str(p) for p in first["loc"]), str(first["msg"])) from e


class LineAdmin:
    def __init__(
        self,
        *,
        lines: LineRepository,
        connectors: ConnectorRegistry,
        clock: Clock,
        rules: LineRules | None = None,
    ) -> None:
        self._lines = lines
        self._connectors = connectors
        self._clock = clock
        self._rules = rules

    async def save(self, line: Line) -> Line:
        """Store a changed line after the same checks as :meth:`create`."""
        return await self._lines.replace(await self._check(_revalidated(line.model_dump())))

    async def _check(self, line: Line) -> Line:
        # without the repositories (tools, benchmarks) only the line's own rules run
        return await self._rules.check(line) if self._rules else check_line(line)

    async def create(
        self,
        kind: ChannelKind,
        name: str,
        *,
        credentials: dict[str, str] | None = None,
        settings: dict[str, Any] | None = None,
        public_url: str | None = None,
        **fields: Any,
    ) -> Line:
        """Create a line; with a public URL, the platform is told where to send webhooks."""
        creds = dict(credentials or {})
        # Every line has a secret of its own: it signs the API channel and is the
        # Telegram webhook's secret_token.
        creds.setdefault("secret", new_secret())
        connector = self._connectors.get(kind)
        # A connector may name settings every new line starts with (the API channel's
        # signature scheme: lines created before it existed keep the old default).
        defaults = getattr(connector, "new_line_settings", {})
        line = _revalidated(
            {
                "kind": kind,
                "name": name,
                "credentials": {k: SecretStr(v) for k, v in creds.items()},
                "settings": {**defaults, **(settings or {})},
                "created_at": self._clock.now(),
                **fields,
            }
        )
        line = await self._check(line)
        validate = getattr(connector, "validate", None)
        if validate is not None:  # e.g. email: a clear error now, not at the first mail
            validate(line)
        if not public_url:
            return await self._lines.add(line)
        # Stored first: a platform may call the webhook while we register it (Viber sends
        # its verification event from inside set_webhook), and the route must know the line.
        await self._lines.add(line)
        try:
            line = await connector.register(line, webhook_url(public_url, line))
        except BaseException:
            await self._lines.remove(line.id)
            raise
        return await self._lines.replace(line)
