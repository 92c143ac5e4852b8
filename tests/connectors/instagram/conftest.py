"""The fake Graph API on the hub's frozen clock (its 24-hour window follows the test's time)."""

from __future__ import annotations

import pytest

from inbox.devfakes.instagram import FakeInstagram
from inbox.domain.clock import FrozenClock


@pytest.fixture
def fake(fake_instagram: FakeInstagram, clock: FrozenClock) -> FakeInstagram:
    fake_instagram.clock = lambda: clock.now().timestamp()
    return fake_instagram
