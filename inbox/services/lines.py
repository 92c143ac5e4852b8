"""Line administration: create a line and register its webhook with the platform."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from inbox.domain.clock import Clock
from inbox.domain.ids import new_secret
from inbox.domain.models import ChannelKind, Line
from inbox.domain.ports import ConnectorRegistry, LineRepository


def webhook_url(public_url: str, line: Line) -> str:
    return f"{public_url.rstrip('/')}/webhooks/{line.kind.value}/{line.id}"


class LineAdmin:
    def __init__(
        self, *, lines: LineRepository, connectors: ConnectorRegistry, clock: Clock
    ) -> None:
        self._lines = lines
        self._connectors = connectors
        self._clock = clock

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
        line = Line(
            kind=kind,
            name=name,
            credentials={k: SecretStr(v) for k, v in creds.items()},
            settings=dict(settings or {}),
            created_at=self._clock.now(),
            **fields,
        )
        connector = self._connectors.get(kind)
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
