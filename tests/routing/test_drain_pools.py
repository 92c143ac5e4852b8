"""The queue drain serves every pool: one team's backlog does not starve another team."""

from __future__ import annotations

from inbox.domain.models import ConversationStatus, Presence
from inbox.wiring import Hub
from tests.routing.support import add_operator, add_team, customer_writes, routed_line


async def test_46_queued_for_an_offline_team_do_not_starve_another_teams_operator(
    hub: Hub,
) -> None:
    team_a, team_b = await add_team(hub, "A"), await add_team(hub, "B")
    line_a = await routed_line(hub, team_id=team_a.id)
    line_b = await routed_line(hub, team_id=team_b.id)
    await add_operator(hub, "ann", teams=(team_a.id,))  # team A: nobody online
    bob = await add_operator(hub, "bob", teams=(team_b.id,), max_open=9)
    backlog = [await customer_writes(hub, line_a, f"a-{i}") for i in range(46)]
    waiting = [await customer_writes(hub, line_b, f"b-{i}") for i in range(9)]
    assert all(c.assignee_id is None for c in [*backlog, *waiting])  # all queued, oldest A

    await hub.router.set_presence(bob.id, Presence.ONLINE)  # drains the queue

    for conv in waiting:
        assert (await hub.conversations.get(conv.id)).assignee_id == bob.id
    for conv in backlog:
        stored = await hub.conversations.get(conv.id)
        assert (stored.assignee_id, stored.status) == (None, ConversationStatus.OPEN)


async def test_within_a_pool_the_oldest_goes_first(hub: Hub) -> None:
    team_a, team_b = await add_team(hub, "A"), await add_team(hub, "B")
    line_a = await routed_line(hub, team_id=team_a.id)
    line_b = await routed_line(hub, team_id=team_b.id)
    await add_operator(hub, "ann", teams=(team_a.id,))
    bob = await add_operator(hub, "bob", teams=(team_b.id,), max_open=2)
    for i in range(3):
        await customer_writes(hub, line_a, f"a-{i}")
    b = [await customer_writes(hub, line_b, f"b-{i}") for i in range(4)]

    await hub.router.set_presence(bob.id, Presence.ONLINE)

    got = [(await hub.conversations.get(c.id)).assignee_id for c in b]
    assert got == [bob.id, bob.id, None, None]
