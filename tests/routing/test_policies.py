"""Each routing policy and timer rule as a pure function over plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox.domain.models import ChannelKind, Conversation, Hop, Presence, RoutingRules
from inbox.domain.models import RoutingStrategy as S
from routing import policies as p
from routing.policies import Candidate, Request

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ON = Presence.ONLINE


def cand(id_: str, **kw: object) -> Candidate:
    kw.setdefault("presence", ON)
    return Candidate(id_, **kw)  # type: ignore[arg-type]


def ids(cands: list[Candidate]) -> list[str]:
    return [c.id for c in cands]


def req(**kw: object) -> Request:
    rules = kw.pop("rules", RoutingRules())
    return Request(rules=rules, **kw)  # type: ignore[arg-type]


def test_online_only_drops_away_and_offline() -> None:
    got = p.online_only(
        [cand("a"), cand("b", presence=Presence.AWAY), cand("c", presence=Presence.OFFLINE)],
        req(),
    )
    assert ids(got) == ["a"]


def test_in_team_keeps_members_only_when_a_team_is_set() -> None:
    cands = [cand("a", teams=("sales",)), cand("b", teams=("support",)), cand("c")]
    assert ids(p.in_team(cands, req(team_id="sales"))) == ["a"]
    assert ids(p.in_team(cands, req())) == ["a", "b", "c"]


def test_with_room_skips_operators_at_capacity_unless_disabled() -> None:
    cands = [cand("a", open=2, max_open=2), cand("b", open=1, max_open=2)]
    assert ids(p.with_room(cands, req())) == ["b"]
    loose = RoutingRules(respect_capacity=False)
    assert ids(p.with_room(cands, req(rules=loose))) == ["a", "b"]


def test_least_busy_prefers_fewest_open_then_longest_idle() -> None:
    cands = [
        cand("a", open=2, last_assigned_ms=1),
        cand("b", open=1, last_assigned_ms=500),
        cand("c", open=1, last_assigned_ms=100),
    ]
    assert ids(p.least_busy(cands, req())) == ["c", "b", "a"]


def test_most_room_compares_share_of_capacity() -> None:
    cands = [cand("a", open=1, max_open=2), cand("b", open=2, max_open=10)]
    assert ids(p.most_room(cands, req())) == ["b", "a"]


def test_round_robin_rotates_a_stable_order() -> None:
    cands = [cand("c"), cand("a"), cand("b")]
    rules = RoutingRules(strategy=S.ROUND_ROBIN)
    turns = [ids(p.round_robin(cands, req(rules=rules, rr_offset=k)))[0] for k in range(4)]
    assert turns == ["a", "b", "c", "a"]


def test_language_first_keeps_strategy_order_within_groups() -> None:
    cands = [cand("a", languages=("en",)), cand("b", languages=("uk",)), cand("c")]
    got = p.language_first(cands, req(language="uk-UA"))
    assert ids(got) == ["b", "a", "c"]
    off = RoutingRules(match_language=False)
    assert ids(p.language_first(cands, req(rules=off, language="uk"))) == ["a", "b", "c"]


def test_sticky_first_moves_the_returning_operator_to_the_front() -> None:
    cands = [cand("a"), cand("b")]
    assert ids(p.sticky_first(cands, req(sticky_to="b"))) == ["b", "a"]
    assert ids(p.sticky_first(cands, req(sticky_to="gone"))) == ["a", "b"]


def test_rank_composes_the_chain() -> None:
    cands = [
        cand("full", open=3, max_open=3, languages=("uk",), teams=("t",)),
        cand("away", presence=Presence.AWAY, teams=("t",)),
        cand("other-team", teams=("x",)),
        cand("busy", open=2, max_open=5, teams=("t",)),
        cand("idle", open=0, max_open=5, teams=("t",)),
        cand("lapsed", open=0, teams=("t",)),
        cand("speaker", open=1, max_open=5, languages=("uk",), teams=("t",)),
    ]
    got = p.rank(cands, req(team_id="t", language="uk", exclude=frozenset({"lapsed"})))
    assert ids(got) == ["speaker", "idle", "busy"]


def test_manual_strategy_ranks_nobody() -> None:
    assert p.rank([cand("a")], req(rules=RoutingRules(strategy=S.MANUAL))) == []


def test_wait_for_sticky_only_within_the_window_and_while_unavailable() -> None:
    rules = RoutingRules(sticky_minutes=5)
    assert p.wait_for_sticky("b", [cand("a")], rules, T0, T0 + timedelta(minutes=4))
    assert not p.wait_for_sticky("b", [cand("a")], rules, T0, T0 + timedelta(minutes=5))
    assert not p.wait_for_sticky("b", [cand("b")], rules, T0, T0)
    assert not p.wait_for_sticky(None, [], rules, T0, T0)
    assert not p.wait_for_sticky("b", [], RoutingRules(), T0, T0)


def conv(**kw: object) -> Conversation:
    return Conversation(
        line_id="l", channel=ChannelKind.API, contact_id="c", created_at=T0, updated_at=T0, **kw
    )  # type: ignore[arg-type]


def test_reply_due_counts_from_now_only_when_the_customer_waits() -> None:
    rules = RoutingRules(no_reply_timeout_s=90)
    waiting = conv(last_customer_message_at=T0)
    assert p.reply_due(waiting, rules, T0) == T0 + timedelta(seconds=90)
    answered = conv(last_customer_message_at=T0, last_operator_message_at=T0 + timedelta(1))
    assert p.reply_due(answered, rules, T0) is None


def test_answered_since_assignment() -> None:
    later = T0 + timedelta(seconds=10)
    assert not p.answered_since_assignment(conv(last_customer_message_at=T0, assigned_at=T0))
    assert p.answered_since_assignment(
        conv(last_customer_message_at=T0, assigned_at=T0, last_operator_message_at=later)
    )
    # an answer by the previous assignee does not count for the new one
    assert not p.answered_since_assignment(
        conv(last_customer_message_at=T0, assigned_at=later, last_operator_message_at=T0)
    )


def hop(reason: str, frm: str | None = None) -> Hop:
    return Hop(at=T0, reason=reason, from_operator=frm)


def test_lapse_chain_stops_at_a_human_decision() -> None:
    hops = [hop("no_reply", "x"), hop("claim"), hop("routed"), hop("no_reply", "a")]
    hops.append(hop("no_reply", "b"))
    assert p.lapsed_operators(hops) == {"a", "b"}
    assert not p.out_of_hops(hops, RoutingRules(max_hops=3))
    assert p.out_of_hops(hops, RoutingRules(max_hops=2))
    assert p.out_of_hops([], RoutingRules(max_hops=0))


def test_grace_over_or_kept() -> None:
    rules = RoutingRules(offline_grace_s=60)
    assert not p.grace_over(rules, T0, T0 + timedelta(seconds=59))
    assert p.grace_over(rules, T0, T0 + timedelta(seconds=60))
    assert not p.grace_over(RoutingRules(offline_grace_s=None), T0, T0 + timedelta(days=9))
