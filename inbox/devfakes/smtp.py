"""A small SMTP sink on a loopback port (aiosmtpd): the email tests' and the demo's
outgoing mail server. It accepts one login, keeps every mail it receives, can answer
with a chosen error (``fail_with``) and can hand each mail on (``deliver``), e.g. into a
Dovecot mailbox so the demo user reads the operator's replies."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from inbox.devfakes.dovecot import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    fail_with: str | None = None  # e.g. "451 4.3.0 try again later"
    deliver: Callable[[Received], None] | None = None

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.fail_with:
            return self.fail_with
        content = envelope.original_content or b""
        mail = Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], content)
        self.received.append(mail)
        if self.deliver is not None:
            with contextlib.suppress(Exception):  # a demo convenience, never a failure
                self.deliver(mail)
        return "250 2.0.0 Message accepted for delivery"


class SmtpSink:
    """``with SmtpSink(user, password) as sink`` -> SMTP on ``sink.port``."""

    def __init__(self, login: str = "support", password: str = "smtp-password") -> None:  # noqa: S107 - a local test sink's own login
        self.login, self.password = login, password
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = _Handler()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def _auth(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.login
            and data.password.decode() == self.password
        )
        # A refused login must say handled=False, or the client hangs instead of a 535.
        return AuthResult(success=ok, handled=False)

    def start(self) -> Self:
        self._controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            authenticator=self._auth,
            auth_require_tls=False,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
