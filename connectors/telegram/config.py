"""Per-line configuration of a Telegram bot, read from the line's settings and secrets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr

from inbox.domain.models import Line

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret
DEFAULT_API_BASE = "https://api.telegram.org"
TEXT_LIMIT = 4096  # sendMessage, in UTF-16 units after entity parsing (we send plain text)
CAPTION_LIMIT = 1024
# The update kinds setWebhook asks for; anything else Telegram sends anyway is ignored.
ALLOWED_UPDATES = ("message", "edited_message", "my_chat_member")


class TelegramLineConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    token: SecretStr
    secret: SecretStr
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_line(cls, line: Line) -> TelegramLineConfig:
        return cls(
            token=line.credentials.get("token") or SecretStr(""),
            secret=line.credentials.get("secret") or SecretStr(""),
            api_base=str(line.settings.get("api_base") or DEFAULT_API_BASE).rstrip("/"),
        )
