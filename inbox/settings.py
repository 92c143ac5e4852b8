"""All settings, from the environment (prefix ``INBOX_``) and an optional ``.env`` file.

Nested plugin settings use ``__``: ``INBOX_ROUTING__RECONCILE_INTERVAL_S=30``. Every field
is listed in the README's configuration table; a test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseModel):
    """The scheduler process: how often it sweeps for due work."""

    outbound_interval_s: float = Field(default=2.0, gt=0)
    heal_interval_s: float = Field(default=15.0, gt=0)
    heal_after_s: float = Field(default=30.0, ge=0)
    mailboxes_interval_s: float = Field(default=30.0, gt=0)  # email lines -> IMAP pollers


class Bitrix24Settings(BaseModel):
    """One Bitrix24 portal: an incoming webhook URL, or OAuth app credentials."""

    webhook_url: SecretStr | None = None  # https://PORTAL/rest/USER_ID/SECRET/
    portal_url: str | None = None  # OAuth mode: https://PORTAL
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    oauth_url: str = "https://oauth.bitrix.info/oauth/token/"
    rate_per_s: float = Field(default=2.0, gt=0)
    burst: int = Field(default=50, ge=1)
    max_wait_s: float = Field(default=5.0, ge=0)
    timeout_s: float = Field(default=20.0, gt=0)
    stage_map: dict[str, str] = Field(default_factory=dict)  # our stage id -> STAGE_ID
    category_map: dict[str, str] = Field(default_factory=dict)  # pipeline id -> CATEGORY_ID


class CrmSettings(BaseModel):
    """The CRM side: outbox draining, reminders, external CRMs."""

    outbox_interval_s: float = Field(default=5.0, gt=0)
    tasks_interval_s: float = Field(default=15.0, gt=0)
    outbox_batch: int = Field(default=20, ge=1, le=200)
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_backoff_base_s: float = Field(default=5.0, gt=0)
    outbox_backoff_max_s: float = Field(default=900.0, gt=0)
    bitrix24: Bitrix24Settings = Bitrix24Settings()


class RoutingSettings(BaseModel):
    """The router: timers, caches and reconciliation (per-line rules live on the line)."""

    sweep_interval_s: float = Field(default=2.0, gt=0)
    reconcile_interval_s: float = Field(default=30.0, gt=0)
    heartbeat_timeout_s: float = Field(default=60.0, gt=0)
    stale_after_s: float = Field(default=10.0, gt=0)
    cache_s: float = Field(default=2.0, ge=0)
    drain_batch: int = Field(default=50, gt=0)
    top_k: int = Field(default=32, gt=0)


class UiSettings(BaseModel):
    """The operator inbox: sessions, login limits, uploads and the live feed."""

    session_ttl_s: int = Field(default=12 * 3600, gt=0)
    login_max_attempts: int = Field(default=5, gt=0)
    login_window_s: int = Field(default=300, gt=0)
    password_threads: int = Field(default=2, ge=1, le=64)
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


class EmailSettings(BaseModel):
    """Email lines (issue 13): the worker's IMAP connections, parsing limits, threading."""

    idle_renew_s: float = Field(default=20 * 60, gt=0)  # RFC 2177: re-issue IDLE before 29 min
    noop_s: float = Field(default=120.0, gt=0)  # heartbeat on an idle connection
    poll_s: float = Field(default=60.0, gt=0)  # without IDLE: poll this often
    call_timeout_s: float = Field(default=60.0, gt=0)  # every IMAP call, IDLE included
    reconnect_max_s: float = Field(default=300.0, gt=0)  # backoff cap between reconnects
    lease_s: float = Field(default=90.0, gt=0)  # one worker per mailbox; renewed by the holder
    backlog: int = Field(default=200, ge=0)  # newest mails imported at first connect
    fetch_batch: int = Field(default=50, ge=1, le=1000)
    max_mail_bytes: int = Field(default=40 * 1024 * 1024, gt=0)  # larger: headers only
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_total_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    subject_window_s: float = Field(default=14 * 24 * 3600, ge=0)  # subject-only threading


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
    redis_timeout_s: float = Field(
        default=5.0, gt=0, description="Redis connect and read timeout, seconds"
    )
    redis_retries: int = Field(
        default=3, ge=0, le=20, description="Retries of a Redis command on a lost connection"
    )
    redis_health_check_s: int = Field(
        default=2, ge=0, description="A Redis connection idle this long is pinged before use"
    )
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
    media_allow_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Non-public networks media downloads may reach (fakes); default none",
    )
    media_max_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest inbound media file downloaded"
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest time a client may take to send a body (408)"
    )
    header_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="A connection must finish its headers within this (closed otherwise); "
        "also the idle keep-alive time",
    )
    probes_allowed_from: tuple[str, ...] = Field(
        default=("127.0.0.0/8", "::1/128"),
        description="Networks that may read /metrics and /readyz (JSON list)",
    )
    trusted_proxy_header: str | None = Field(
        default=None, description="Header a trusted proxy puts the client address in"
    )
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = Field(
        default=(ip_network("127.0.0.0/8"), ip_network("::1/128")),
        description="Proxies whose trusted_proxy_header is believed",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Binds sessions and CSRF tokens (HMAC), >= 32 chars; unset: random per start",
    )
    worker: WorkerSettings = WorkerSettings()
    crm: CrmSettings = CrmSettings()
    routing: RoutingSettings = RoutingSettings()
    ui: UiSettings = UiSettings()
    email: EmailSettings = EmailSettings()

    @field_validator("probes_allowed_from")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(ipaddress.ip_network(v.strip(), strict=False)) for v in value)

    @property
    def embedded_needed(self) -> bool:
        return self.mongo_url is None or self.redis_url is None
