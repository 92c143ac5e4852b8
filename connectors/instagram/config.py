"""Per-line configuration of an Instagram professional account, from settings and secrets.

Credentials: ``access_token`` (the long-lived Instagram user token, or a Page token for
the Facebook-Login flavour), ``verify_token`` (the webhook handshake) and one or more
``app_secret*`` (the app secrets that sign webhooks: an account connected through both
login flavours gets the same messages from two apps). Settings: ``ig_id`` (the account id
webhooks carry in ``entry.id``), ``page_id`` (Facebook-Login flavour), ``api_base``
(``https://graph.instagram.com/v23.0``, ``https://graph.facebook.com/v23.0``, or a fake),
``human_agent`` (the app has Human Agent approval: replies up to 7 days).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, SecretStr

from inbox.domain.models import Line

SIGNATURE_HEADER = "x-hub-signature-256"
SIGNATURE_PREFIX = "sha256="
DEFAULT_API_BASE = "https://graph.instagram.com/v23.0"
TEXT_LIMIT = 1000  # the Send API's text limit, counted in UTF-8 bytes here to be safe
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
WINDOW = timedelta(hours=24)  # standard messaging window after the customer's last message
HUMAN_AGENT_WINDOW = timedelta(days=7)  # a human operator's reply with the HUMAN_AGENT tag
PRIVATE_REPLY_WINDOW = timedelta(days=7)  # the one private reply to a comment
PROFILE_TTL_S = 24 * 3600.0  # a fetched profile is fresh this long
TOKEN_LIFETIME = timedelta(days=60)
TOKEN_MIN_AGE = timedelta(hours=24)  # Instagram refreshes a long-lived token once 24 h old
TOKEN_REFRESH_BEFORE = timedelta(days=10)  # refresh when it expires within this


class InstagramLineConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    ig_id: str
    page_id: str | None = None
    access_token: SecretStr
    verify_token: SecretStr
    app_secrets: tuple[SecretStr, ...] = ()
    api_base: str = DEFAULT_API_BASE
    human_agent: bool = False

    @property
    def account_ids(self) -> frozenset[str]:
        """Ids under which Meta may name this account in ``entry.id`` and echoes."""
        return frozenset(i for i in (self.ig_id, self.page_id) if i)

    @property
    def send_path(self) -> str:
        """``/{id}/messages``: the Page for the Facebook-Login flavour, else the account."""
        return f"{self.api_base}/{self.page_id or self.ig_id or 'me'}/messages"

    @classmethod
    def from_line(cls, line: Line) -> InstagramLineConfig:
        s = line.settings
        creds = line.credentials
        return cls(
            ig_id=str(s.get("ig_id") or ""),
            page_id=str(s["page_id"]) if s.get("page_id") else None,
            access_token=creds.get("access_token", SecretStr("")),
            verify_token=creds.get("verify_token", SecretStr("")),
            app_secrets=tuple(v for k, v in sorted(creds.items()) if k.startswith("app_secret")),
            api_base=str(s.get("api_base") or DEFAULT_API_BASE).rstrip("/"),
            human_agent=str(s.get("human_agent", "")).strip().lower() in ("true", "1", "yes"),
        )
