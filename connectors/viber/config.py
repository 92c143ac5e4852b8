"""Per-line configuration of a Viber bot, read from the line's settings and secrets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr

from inbox.domain.models import Line

SIGNATURE_HEADER = "x-viber-content-signature"
AUTH_HEADER = "X-Viber-Auth-Token"
DEFAULT_API_BASE = "https://chatapi.viber.com/pa"
TEXT_LIMIT = 7000
SENDER_NAME_LIMIT = 28
# Viber accepts at most 100 messages per hour to a user who has not replied.
MAX_UNANSWERED = 100
# Callbacks we ask for; message, subscribed and unsubscribed always arrive.
EVENT_TYPES = ("delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started")


class ViberLineConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    token: SecretStr
    api_base: str = DEFAULT_API_BASE
    sender_name: str
    sender_avatar: str | None = None
    max_unanswered: int = MAX_UNANSWERED

    @classmethod
    def from_line(cls, line: Line) -> ViberLineConfig:
        s = line.settings
        return cls(
            token=line.credentials.get("token") or SecretStr(""),
            api_base=str(s.get("api_base") or DEFAULT_API_BASE).rstrip("/"),
            sender_name=str(s.get("sender_name") or line.name)[:SENDER_NAME_LIMIT],
            sender_avatar=s.get("sender_avatar") or None,
            max_unanswered=int(s.get("max_unanswered") or MAX_UNANSWERED),
        )
