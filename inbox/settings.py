"""All settings, from the environment (prefix ``INBOX_``) and an optional ``.env`` file.

Nested plugin settings use ``__``: ``INBOX_ROUTING__RECONCILE_INTERVAL_S=30``. Every field
is listed in the README's configuration table; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseModel):
    """The scheduler process: how often it sweeps for due work."""

    outbound_interval_s: float = Field(default=2.0, gt=0)
    heal_interval_s: float = Field(default=15.0, gt=0)
    heal_after_s: float = Field(default=30.0, ge=0)


class UiSettings(BaseModel):
    """The operator inbox: sessions, login limits, uploads and the live feed."""

    session_ttl_s: int = Field(default=12 * 3600, gt=0)
    login_max_attempts: int = Field(default=5, gt=0)
    login_window_s: int = Field(default=300, gt=0)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    upload_types: tuple[str, ...] = (
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "audio/ogg",
        "audio/mpeg",
        "video/mp4",
    )
    events_maxlen: int = Field(default=10_000, gt=0)
    ws_heartbeat_s: float = Field(default=25.0, gt=0)
    snooze_check_s: float = Field(default=30.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INBOX_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    mongo_url: SecretStr | None = Field(
        default=None, description="MongoDB URL; unset: start the embedded SecantusDB"
    )
    mongo_db: str = Field(default="inbox", description="Database name")
    redis_url: SecretStr | None = Field(
        default=None, description="Redis/Valkey URL; unset: start the embedded Valkey"
    )
    redis_prefix: str = Field(default="inbox:", description="Prefix of every Redis key")
    host: str = Field(default="127.0.0.1", description="Address the web process binds")
    port: int = Field(default=8080, ge=0, le=65535, description="Port the web process binds")
    public_url: str | None = Field(
        default=None, description="Public HTTPS base URL that platforms call webhooks on"
    )
    data_dir: Path = Field(default=Path(".data"), description="Embedded servers' data and logs")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: console in a terminal, JSON otherwise"
    )
    log_level: str = Field(default="INFO", description="Minimum log level")
    webhook_max_body: int = Field(
        default=1024 * 1024, gt=0, description="Largest webhook body accepted, in bytes"
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs session cookies; unset: a random key per start"
    )
    worker: WorkerSettings = WorkerSettings()
    ui: UiSettings = UiSettings()

    @property
    def embedded_needed(self) -> bool:
        return self.mongo_url is None or self.redis_url is None
