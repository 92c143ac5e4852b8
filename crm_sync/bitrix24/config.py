"""How to reach one Bitrix24 portal, and how to map our stages onto its own."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# Bitrix24's built-in deal stages and lead statuses (the default "sales funnel").
DEFAULT_STAGE_MAP: dict[str, str] = {
    "new_order": "NEW",
    "payment": "PREPAYMENT_INVOICE",
    "shipping": "EXECUTING",
    "qualification": "NEW",
    "needs_analysis": "PREPARATION",
    "proposal": "PREPARATION",
    "negotiation": "PREPAYMENT_INVOICE",
    "contract": "EXECUTING",
    "invoice": "FINAL_INVOICE",
    "won": "WON",
    "lost": "LOSE",
}
DEFAULT_LEAD_STATUS_MAP: dict[str, str] = {
    "new": "NEW",
    "in_progress": "IN_PROCESS",
    "qualified": "CONVERTED",
    "disqualified": "JUNK",
}


class Bitrix24Config(BaseModel):
    """``webhook_url`` (``https://PORTAL/rest/USER_ID/SECRET/``) or the OAuth fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    webhook_url: SecretStr | None = None
    portal_url: str | None = None  # OAuth: https://PORTAL
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    oauth_url: str = "https://oauth.bitrix.info/oauth/token/"
    rate_per_s: float = Field(default=2.0, gt=0)
    burst: int = Field(default=50, ge=1)
    max_wait_s: float = Field(default=5.0, ge=0)
    timeout_s: float = Field(default=20.0, gt=0)
    batch_max: int = Field(default=50, ge=1, le=50)
    originator_id: str = "inbox-hub"
    stage_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_STAGE_MAP))
    lead_status_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_LEAD_STATUS_MAP))
    # Our pipeline id -> Bitrix24 deal category (its "pipeline"); unmapped: the default one.
    category_map: dict[str, str] = Field(default_factory=dict)

    @property
    def uses_oauth(self) -> bool:
        return self.webhook_url is None

    def usable(self) -> bool:
        if self.webhook_url is not None:
            return True
        return bool(
            self.portal_url and self.client_id and self.client_secret and self.refresh_token
        )
