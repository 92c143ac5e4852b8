"""Contacts, lines and operators repositories against the real server."""

from __future__ import annotations

import asyncio

import pytest

from inbox.domain.clock import FrozenClock
from inbox.domain.errors import Conflict, NotFound
from inbox.domain.inbound import ContactUpdate, InboundMessage
from inbox.domain.models import ChannelKind, Operator, Role, Team
from inbox.wiring import Hub
from tests.helpers import make_line


async def test_identity_upsert_is_idempotent_under_concurrency(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    msg = InboundMessage(
        external_id="m", external_user_id="u-9", user_name="Bo", phone="+380501112233"
    )
    contacts = await asyncio.gather(
        *(hub.contacts.upsert_identity(line, msg, clock.now()) for _ in range(25))
    )
    assert len({c.id for c in contacts}) == 1
    assert await hub.db["contacts"].count_documents({}) == 1
    contact = contacts[0]
    assert contact.name == "Bo"
    assert contact.phones == ("+380501112233",)
    assert contact.identities[0].channel is ChannelKind.API
    assert await hub.contacts.find_by_identity(line.id, "u-9") == contact


async def test_same_user_id_on_two_lines_is_two_identities(hub: Hub, clock: FrozenClock) -> None:
    a = await make_line(hub, name="a")
    b = await make_line(hub, name="b")
    msg = InboundMessage(external_id="m", external_user_id="same", user_name="X")
    ca = await hub.contacts.upsert_identity(a, msg, clock.now())
    cb = await hub.contacts.upsert_identity(b, msg, clock.now())
    assert ca.id != cb.id  # never merged automatically


async def test_contact_update_marks_unreachable_and_adds_phone(
    hub: Hub, clock: FrozenClock
) -> None:
    line = await make_line(hub)
    msg = InboundMessage(external_id="m", external_user_id="u-1", user_name="Ann")
    await hub.contacts.upsert_identity(line, msg, clock.now())
    updated = await hub.contacts.apply_update(
        line, ContactUpdate(external_user_id="u-1", reachable=False, phone="+1555"), clock.now()
    )
    assert updated is not None
    assert updated.identities[0].reachable is False
    assert updated.phones == ("+1555",)
    unknown = await hub.contacts.apply_update(
        line, ContactUpdate(external_user_id="nobody", reachable=False), clock.now()
    )
    assert unknown is None


async def test_line_round_trip_keeps_secrets(hub: Hub) -> None:
    line = await make_line(
        hub, credentials={"token": "123:abc"}, settings={"api_base": "http://127.0.0.1:9"}
    )
    loaded = await hub.lines.get(line.id)
    assert loaded == line
    assert loaded.secret("token") == "123:abc"
    assert "123:abc" not in repr(loaded)
    assert [x.id for x in await hub.lines.list()] == [line.id]
    renamed = loaded.model_copy(update={"name": "renamed"})
    await hub.lines.replace(renamed)
    assert (await hub.lines.get(line.id)).name == "renamed"
    with pytest.raises(NotFound):
        await hub.lines.get("missing")


async def test_operator_login_is_unique_and_hash_kept_apart(hub: Hub, clock: FrozenClock) -> None:
    op = Operator(login="ann", name="Ann", role=Role.MANAGER, created_at=clock.now())
    await hub.operators.add(op, "hash-1")
    with pytest.raises(Conflict):
        await hub.operators.add(
            Operator(login="ann", name="Other", created_at=clock.now()), "hash-2"
        )
    assert await hub.operators.get_by_login("ann") == op
    assert await hub.operators.password_hash(op.id) == "hash-1"
    assert [o.login for o in await hub.operators.list()] == ["ann"]
    team = await hub.teams.add(Team(name="Sales", manager_id=op.id, created_at=clock.now()))
    assert await hub.teams.get(team.id) == team
