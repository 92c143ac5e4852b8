"""Account-level Graph calls: webhook subscription, customer profiles, token refresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp

from connectors.instagram.config import (
    TOKEN_LIFETIME,
    TOKEN_MIN_AGE,
    TOKEN_REFRESH_BEFORE,
    InstagramLineConfig,
)
from connectors.instagram.send import call
from inbox.domain.inbound import ContactUpdate

SUBSCRIBED_FIELDS = "messages,messaging_postbacks,messaging_seen,message_reactions,comments"
PROFILE_FIELDS = "name,username,profile_pic"


async def subscribe(session: aiohttp.ClientSession, config: InstagramLineConfig) -> None:
    """Subscribe the app to the account's webhook fields (also checks the token)."""
    owner = config.page_id or config.ig_id
    await call(
        session,
        config,
        "POST",
        f"{config.api_base}/{owner}/subscribed_apps",
        params={"subscribed_fields": SUBSCRIBED_FIELDS},
        what="webhook subscription",
    )


async def profile(
    session: aiohttp.ClientSession, config: InstagramLineConfig, user_id: str
) -> ContactUpdate | None:
    """The customer's name, username and picture (None when Instagram gives none)."""
    answer = await call(
        session,
        config,
        "GET",
        f"{config.api_base}/{user_id}",
        params={"fields": PROFILE_FIELDS},
        what="profile lookup",
    )

    def text(key: str, limit: int) -> str | None:
        value = answer.get(key)
        return value.strip()[:limit] or None if isinstance(value, str) else None

    name, username, picture = text("name", 300), text("username", 300), text("profile_pic", 4096)
    if not (name or username or picture):
        return None
    return ContactUpdate(
        external_user_id=user_id,
        user_name=name or username,
        username=username,
        avatar_url=picture,
    )


def token_due(settings: dict[str, Any], now: datetime, created_at: datetime) -> bool:
    """Whether to refresh now: at least 24 h old and expiring within the margin. A token
    of unknown age counts from when the line was created."""
    obtained = _when(settings.get("token_obtained_at")) or created_at
    expires = _when(settings.get("token_expires_at")) or obtained + TOKEN_LIFETIME
    return now - obtained >= TOKEN_MIN_AGE and expires - now <= TOKEN_REFRESH_BEFORE


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


async def refresh(session: aiohttp.ClientSession, config: InstagramLineConfig) -> tuple[str, float]:
    """A fresh long-lived token and its lifetime in seconds (``ig_refresh_token``)."""
    answer = await call(
        session,
        config,
        "GET",
        f"{config.api_base}/refresh_access_token",
        params={
            "grant_type": "ig_refresh_token",
            "access_token": config.access_token.get_secret_value(),
        },
        what="token refresh",
    )
    token = answer.get("access_token")
    expires_in = answer.get("expires_in")
    if not isinstance(token, str) or not token:
        raise ValueError("Instagram answered the refresh without a token")
    lifetime = float(expires_in) if isinstance(expires_in, int | float) else None
    return token, lifetime or TOKEN_LIFETIME.total_seconds()
