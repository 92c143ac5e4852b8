"""The router's fast shared state in Redis, changed only by Lua scripts (atomic).

Keys under ``{prefix}rt:``, each group owned by one role:

=====================  ==================================================  ==============
key                    what                                                owner
=====================  ==================================================  ==============
``asg``                conversation id -> ``operator|ms``: who holds it     ``holds``
``load``               operator id -> open conversations (from ``asg``)     ``holds``
``last``               operator id -> last assignment, ms (ties)            ``holds``
``ready``              set by reconciliation; scripts refuse without it     ``holds``
``cap`` ``teams``      operator id -> ``max_open``, teams, languages        ``index``
``langs``              (comma-separated, pushed together)
``idx:{pool}``         the availability index per pool (and language)       ``index``
``idxp``               the pools that have an index (a rebuild drops all)   ``index``
``pres`` ``seen``      operator id -> presence (``lost``: heartbeat         ``presence``
                       timeout), last heartbeat ms
``q:{line}``           queued conversations by priority, then waiting       ``queue``
``rr:{key}``           round-robin counter per line or team                 ``queue``
=====================  ==================================================  ==============

Every script that changes presence, load, capacity, teams, languages or last assignment
keeps the index in step (the shared functions in ``index.lua``); the scripts are the
``.lua`` files of this package, loaded as package resources.

MongoDB stays the source of truth; :meth:`RoutingState.reconcile` rebuilds ``asg`` and
``load`` from it. An ``asg`` entry younger than the grace period is left alone, because its
MongoDB write may still be on its way.
"""

from __future__ import annotations

from routing.state.holds import Decision, HoldsState
from routing.state.index import Head, IndexState, Snapshot
from routing.state.keys import ANY, BASE_MS, SHIFT, index_language
from routing.state.presence import PresenceState
from routing.state.queue import QueueState

__all__ = [
    "ANY",
    "BASE_MS",
    "SHIFT",
    "Decision",
    "Head",
    "HoldsState",
    "IndexState",
    "PresenceState",
    "QueueState",
    "RoutingState",
    "Snapshot",
    "index_language",
]


class RoutingState(HoldsState, IndexState, PresenceState, QueueState):
    """All of the router's Redis state; each router part is given the role it uses."""
