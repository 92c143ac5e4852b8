"""The conversation audience rule: its MongoDB filter and its predicate agree on every case,
run on the real server."""

from __future__ import annotations

import itertools

import pytest

from inbox.domain.audience import Audience
from inbox.domain.models import Role
from inbox.wiring import Hub

TEAMS = ("t1", "t2", "t3", None)
PEOPLE = ("me", "mate", "stranger", None)


@pytest.mark.parametrize("role", list(Role))
async def test_the_filter_and_the_predicate_admit_the_same_conversations(
    hub: Hub, role: Role
) -> None:
    collection = hub.db["audience_cases"]
    cases = list(itertools.product(TEAMS, PEOPLE))
    await collection.insert_many(
        [{"_id": f"{t}|{a}", "team_id": t, "assignee_id": a} for t, a in cases]
        + [{"_id": "missing|missing"}]  # fields absent, as in old documents
    )
    audience = Audience(
        operator_id="me", role=role, teams=("t1", "t2"), members=frozenset({"mate"})
    )
    found = {d["_id"] async for d in collection.find(audience.mongo_filter())}
    admitted = {f"{t}|{a}" for t, a in cases if audience.admits(t, a)}
    if audience.admits(None, None):
        admitted.add("missing|missing")
    assert found == admitted
    if role is Role.ADMIN:
        assert len(found) == len(cases) + 1
    if role is Role.OPERATOR:
        assert found == {
            "t1|me",
            "t2|me",
            "t3|me",
            "None|me",
            "t1|None",
            "t2|None",
            "None|None",
            "missing|missing",
        }
