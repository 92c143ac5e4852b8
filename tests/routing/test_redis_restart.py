"""Valkey restarts (empty) while two processes route: counters rebuilt, nothing doubled."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from pydantic import SecretStr

from inbox.embedded import EmbeddedServers
from inbox.settings import Settings
from inbox.wiring import Hub, open_hub
from tests.routing.stress import (
    Plan,
    final_invariants,
    process_main,
    retry,
    seed,
    settings_dict,
    settle,
)

pytestmark = pytest.mark.slow


def start_valkey(workdir: Path, port: int = 0) -> EmbeddedServers:
    servers = EmbeddedServers(workdir, memory=True, redis_port=port)
    servers.start(mongo=False)
    return servers


async def routed(hub: Hub) -> int:
    return await hub.db["conversations"].count_documents({"hops.0": {"$exists": 1}})


async def test_a_redis_restart_mid_run_rebuilds_counters(
    settings: Settings, tmp_path: Path
) -> None:
    valkey = start_valkey(tmp_path / "v1")
    port = valkey.children[0].port
    own = settings.model_copy(update={"redis_url": SecretStr(valkey.redis_url)})
    try:
        async with open_hub(own) as hub:
            _line, ops, conv_ids = await seed(hub, operators=10, conversations=400, seed=3)
            op_ids = [o.id for o in ops]
            plans = [
                Plan(
                    settings=settings_dict(own),
                    conversation_ids=conv_ids[i::2],
                    operator_ids=op_ids,
                    seed=200 + i,
                )
                for i in range(2)
            ]
            loop = asyncio.get_running_loop()
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(2, mp_context=ctx) as pool:
                runs = [loop.run_in_executor(pool, process_main, plan) for plan in plans]
                # restart once the processes are into their work (polling MongoDB)
                while await routed(hub) < 25:  # noqa: ASYNC110 - no event crosses processes
                    await asyncio.sleep(0.05)
                valkey.stop()
                at_restart = await routed(hub)
                valkey = start_valkey(tmp_path / "v2", port)
                results = await asyncio.gather(*runs)
            assert [v for r in results for v in r["violations"]] == []
            # The restart came mid-run. The client's retries usually ride it out unseen
            # (redis_errors 0); what they do not absorb the processes retry themselves.
            assert at_restart < len(conv_ids)
            await retry(settle, hub, op_ids)
            assert await final_invariants(hub) == []
            await hub.db.client.drop_database(own.mongo_db)
    finally:
        valkey.stop()
