"""Per-line configuration of the API channel, read from the line's settings and secrets.

Signature schemes (the line setting ``signature_scheme``):

- ``timestamped`` (new lines): ``X-Inbox-Timestamp: <unix seconds>`` and
  ``X-Inbox-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``; a timestamp
  further than ``TOLERANCE_S`` from the hub's clock is refused, so a captured request
  cannot be replayed later (and within the window the message id makes a replay a
  duplicate that is stored once).
- ``body`` (lines created before the timestamp existed, and lines without the setting):
  ``X-Inbox-Signature: sha256=<hex HMAC-SHA256 of body>``. Kept so existing integrations
  keep working; switch a line with ``signature_scheme=timestamped`` once its sender sends
  the timestamp.

Replies to the callback URL are signed with the line's scheme.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, HttpUrl, SecretStr

from connectors.signing import sign, sign_timestamped
from inbox.domain.models import Line

SIGNATURE_HEADER = "X-Inbox-Signature"
TIMESTAMP_HEADER = "X-Inbox-Timestamp"
SIGNATURE_PREFIX = "sha256="
TOLERANCE_S = 300.0
Scheme = Literal["timestamped", "body"]
NEW_LINE_SCHEME: Scheme = "timestamped"
LEGACY_SCHEME: Scheme = "body"


class ApiLineConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    secret: SecretStr
    callback_url: HttpUrl | None = None
    scheme: Scheme = LEGACY_SCHEME

    @classmethod
    def from_line(cls, line: Line) -> ApiLineConfig:
        scheme = line.settings.get("signature_scheme") or LEGACY_SCHEME
        return cls(
            secret=line.credentials.get("secret") or SecretStr(""),
            callback_url=line.settings.get("callback_url") or None,
            scheme=scheme if scheme in ("timestamped", "body") else NEW_LINE_SCHEME,
        )


def signed_headers(secret: str, body: bytes, *, now: float, scheme: Scheme) -> dict[str, str]:
    """The signature headers for ``body`` (what a sender, or our callback, puts on it)."""
    if scheme == "body":
        return {SIGNATURE_HEADER: SIGNATURE_PREFIX + sign(secret, body)}
    timestamp = int(now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: SIGNATURE_PREFIX + sign_timestamped(secret, timestamp, body),
    }
