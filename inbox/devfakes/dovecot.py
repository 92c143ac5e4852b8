"""A throwaway Dovecot IMAP server on a free loopback port (tests and the demo).

Debian's ``dovecot-imapd`` (installed by ``.ci/run``) runs as an unprivileged process
with a private configuration that moves every location into one temporary directory:
runtime sockets, state, logs, the maildirs and a passwd-file of users. Lessons measured
while building it (see the shared channel notes): mail must not be owned by root, the
directory must be enterable by the mail user, only ``imap`` is served, the auth penalty
is switched off (a wrong password must not slow down the next test), and the runtime
directory starts empty.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
{identity}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dovecot:
    """``with Dovecot() as server: server.add_user("a", "pw")`` -> IMAP on ``server.port``."""

    def __init__(self, root: Path | None = None, extra_config: str = "", tls: bool = False) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self.binary = binary
        self._own_root = root is None
        self.root = root or Path(tempfile.mkdtemp(prefix="inbox-dovecot-"))
        self.port = free_port()
        self.host = "127.0.0.1"
        self._process: subprocess.Popen[bytes] | None = None
        self._users: dict[str, str] = {}
        self._extra = extra_config  # e.g. "imap_capability = IMAP4rev1" (no IDLE)
        # With ``tls``: a self-signed certificate for 127.0.0.1 (``cert_file``), STARTTLS
        # on ``port`` and implicit TLS on ``tls_port``.
        self.tls = tls
        self.tls_port = free_port() if tls else 0
        self.cert_file = self.root / "cert.pem"

    def _mail_owner(self) -> tuple[int, int, str]:
        if os.geteuid() != 0:
            # Unprivileged: Dovecot runs everything as us; no user switching at all.
            me = pwd.getpwuid(os.geteuid())
            return (
                me.pw_uid,
                me.pw_gid,
                (
                    f"default_internal_user = {me.pw_name}\n"
                    f"default_login_user = {me.pw_name}\n"
                    f"default_internal_group = {me.pw_name}"
                ),
            )
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, ""

    def start(self) -> Self:
        uid, gid, identity = self._mail_owner()
        for sub in ("run", "state", "mail"):
            path = self.root / sub
            if sub == "run" and path.exists():
                shutil.rmtree(path)
            path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)  # noqa: S103 - the mail user and dovecot must enter it
        os.chown(self.root / "mail", uid, gid)
        lines = [f"{u}:{{PLAIN}}{p}::::::" for u, p in self._users.items()]
        (self.root / "passwd").write_text("\n".join(lines) + "\n" if lines else "")
        ssl = "ssl = no"
        if self.tls:
            self._certificate()
            ssl = (
                f"ssl = yes\nssl_cert = <{self.cert_file}\nssl_key = <{self.root}/key.pem\n"
                f"ssl_dh = <{self.root}/dh.pem"
            )
        config = self.root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                tls_port=self.tls_port,
                uid=uid,
                gid=gid,
                identity=identity,
                ssl=ssl,
            )
            + self._extra
            + "\n"
        )
        self._process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config
            [self.binary, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise RuntimeError(f"dovecot exited at start: {err[-500:]}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=0.5) as s,
            ):
                if s.recv(100).startswith(b"* OK"):
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("dovecot did not answer within 15 s")

    def _certificate(self) -> None:
        if self.cert_file.exists():
            return
        openssl = shutil.which("openssl") or "openssl"
        subprocess.run(  # noqa: S603 - a fixed binary, our own arguments
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(self.root / "key.pem"), "-out", str(self.cert_file),
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(  # noqa: S603
            [openssl, "dhparam", "-dsaparam", "-out", str(self.root / "dh.pem"), "2048"],
            check=True, capture_output=True,
        )  # fmt: skip

    def add_user(self, name: str, password: str) -> None:
        self._users[name] = password
        lines = [f"{u}:{{PLAIN}}{p}::::::" for u, p in self._users.items()]
        (self.root / "passwd").write_text("\n".join(lines) + "\n")
        time.sleep(1.1)  # Dovecot re-reads the passwd-file at most once a second

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None

    def close(self) -> None:
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
