"""A real Dovecot for the email tests: one server per session, one mailbox user per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from inbox.devfakes.dovecot import Dovecot, dovecot_binary


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed: `apt-get install dovecot-imapd` (.ci/run does)")
    with Dovecot() as server:
        yield server


@pytest.fixture
def mailbox_user(dovecot: Dovecot) -> tuple[str, str]:
    user = f"u{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    dovecot.add_user(user, password)
    return user, password
