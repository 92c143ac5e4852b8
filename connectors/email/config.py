"""Per-line configuration of an email line, read from the line's settings and secrets.

Settings (``inbox line add email --set``-able, not secret): ``imap_host``, ``imap_port``,
``imap_tls`` (``implicit`` / ``starttls`` / ``none``), ``smtp_host``, ``smtp_port``,
``smtp_tls``, ``login``, ``smtp_login`` (default: ``login``), ``mailbox`` (default
``INBOX``), ``address`` (the address the line answers as), ``from_name``,
``sent_folder`` (append a copy of each reply there; empty: none), ``backlog`` (how many
of the newest mails the first connect imports), ``tls_ca_file`` (a private CA to trust).
Secrets: ``password`` and optionally ``smtp_password``; the line's ``secret`` signs our
reply tokens.

``none`` (plain text) is accepted for loopback hosts only: a password never crosses a
network unencrypted.
"""

from __future__ import annotations

import ipaddress
import ssl
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from connectors.email.errors import EmailConfigError
from inbox.domain.models import Line

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class TlsMode(StrEnum):
    IMPLICIT = "implicit"  # TLS from the first byte (IMAPS 993, SMTPS 465)
    STARTTLS = "starttls"  # plain connect, then upgrade (IMAP 143, submission 587)
    NONE = "none"  # loopback only: tests, the demo, a local relay


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmailLineConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    imap_host: str = Field(min_length=1, max_length=255)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_tls: TlsMode = TlsMode.IMPLICIT
    smtp_host: str = Field(min_length=1, max_length=255)
    smtp_port: int = Field(default=465, ge=1, le=65535)
    smtp_tls: TlsMode = TlsMode.IMPLICIT
    login: str = Field(min_length=1, max_length=320)
    password: SecretStr
    smtp_login: str | None = Field(default=None, max_length=320)
    smtp_password: SecretStr | None = None
    mailbox: str = Field(default="INBOX", min_length=1, max_length=200)
    address: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    from_name: str = Field(default="", max_length=200)
    sent_folder: str = Field(default="", max_length=200)
    backlog: int | None = Field(default=None, ge=0, le=100_000)
    tls_ca_file: str = Field(default="", max_length=1000)  # a private CA (PEM), if any
    token_secret: SecretStr = SecretStr("")

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1].lower()

    @property
    def smtp_user(self) -> str:
        return self.smtp_login or self.login

    @property
    def smtp_secret(self) -> str:
        return (self.smtp_password or self.password).get_secret_value()

    @classmethod
    def from_line(cls, line: Line) -> EmailLineConfig:
        """The line's mail settings; raises ``EmailConfigError`` saying what is wrong."""
        data: dict[str, Any] = dict(line.settings)
        for name in ("password", "smtp_password"):
            if name in line.credentials:
                data[name] = line.credentials[name]
        if "secret" in line.credentials:
            data["token_secret"] = line.credentials["secret"]
        try:
            config = cls.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]
            )
            raise EmailConfigError(f"email line settings: {problems}") from None
        for host, mode, what in (
            (config.imap_host, config.imap_tls, "imap"),
            (config.smtp_host, config.smtp_tls, "smtp"),
        ):
            if mode is TlsMode.NONE and not is_loopback(host):
                raise EmailConfigError(
                    f"{what}_tls=none is allowed for loopback hosts only, not {host!r}",
                    code="plaintext_not_loopback",
                )
        return config

    def ssl_context(self) -> ssl.SSLContext:
        """Certificates checked against the system's CAs, or ``tls_ca_file`` when set."""
        return ssl.create_default_context(cafile=self.tls_ca_file or None)
