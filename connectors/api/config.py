"""Per-line configuration of the API channel, read from the line's settings and secrets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, HttpUrl

from inbox.domain.models import Line

SIGNATURE_HEADER = "X-Inbox-Signature"
SIGNATURE_PREFIX = "sha256="


class ApiLineConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    secret: str
    callback_url: HttpUrl | None = None

    @classmethod
    def from_line(cls, line: Line) -> ApiLineConfig:
        return cls(
            secret=line.secret("secret") if "secret" in line.credentials else "",
            callback_url=line.settings.get("callback_url") or None,
        )
