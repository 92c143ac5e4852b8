"""``python -m tests.fuzz`` (``make fuzz``): the long run against a hub of its own.

Budget from the environment: ``FUZZ_EXAMPLES`` (Hypothesis examples per webhook campaign
and per API operation, default 200), ``FUZZ_SECONDS`` (default 300), ``FUZZ_TIMEOUT`` (per
request, default 10), ``FUZZ_SPOTS`` (default 6), ``FUZZ_SEED`` (default: random, printed),
``FUZZ_LOG_LEVEL`` (the hub's, default INFO). Writes ``docs/fuzz.json`` and the results part
of ``docs/fuzz.md``; exits 1 when any failure was found.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

from inbox.embedded import EmbeddedServers
from tests.fuzz.run import Budget, run, write

DOCS = Path(__file__).resolve().parents[2] / "docs"


def budget_from_env() -> Budget:
    env = os.environ
    return Budget(
        examples=int(env.get("FUZZ_EXAMPLES", "200")),
        spots=int(env.get("FUZZ_SPOTS", "6")),
        seconds=float(env.get("FUZZ_SECONDS", "300")),
        timeout=float(env.get("FUZZ_TIMEOUT", "10")),
        seed=int(env["FUZZ_SEED"]) if env.get("FUZZ_SEED") else random.randrange(2**32),
        log_level=env.get("FUZZ_LOG_LEVEL", "INFO"),
    )


def main() -> int:
    budget = budget_from_env()
    print(f"fuzzing with {budget}", flush=True)
    with tempfile.TemporaryDirectory(prefix="inbox-fuzz-") as tmp:
        servers = EmbeddedServers(Path(tmp) / "embedded", memory=True)
        servers.start()
        try:
            report = run(servers.mongo_url, servers.redis_url, Path(tmp), budget)
        finally:
            servers.stop()
    write(report, DOCS)
    print(report.text_table())
    print(f"seed {budget.seed}; details in docs/fuzz.json")
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
