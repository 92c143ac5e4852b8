"""Routing under real concurrency: 4 OS processes on one MongoDB and one Valkey."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from inbox.wiring import Hub
from tests.routing.stress import Plan, final_invariants, process_main, seed, settings_dict, settle

PROCESSES = 4
CONVERSATIONS = 2000
OPERATORS = 20

pytestmark = pytest.mark.slow


async def test_four_processes_assign_2000_conversations_among_20_operators(hub: Hub) -> None:
    _line, ops, conv_ids = await seed(hub, operators=OPERATORS, conversations=CONVERSATIONS)
    op_ids = [o.id for o in ops]
    plans = [
        Plan(
            settings=settings_dict(hub.settings),
            conversation_ids=conv_ids[i::PROCESSES],
            operator_ids=op_ids,
            seed=100 + i,
            # a head of 4 of the availability index: decisions use the head, and fall
            # back to the whole pool whenever the head is taken meanwhile
            top_k=4,
        )
        for i in range(PROCESSES)
    ]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, process_main, plan) for plan in plans)
        )
    violations = [v for r in results for v in r["violations"]]
    print(
        {k: sum(r[k] for r in results) for k in ("assigned", "resolved", "flaps", "redis_errors")}
    )
    assert violations == []
    assert sum(r["resolved"] for r in results) > 400  # capacity was freed and reused
    assert sum(r["flaps"] for r in results) > 100
    await settle(hub, op_ids)
    assert await final_invariants(hub) == []
