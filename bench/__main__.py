"""Run the benchmarks: ``python -m bench [--quick] [name ...]``."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import pkgutil
import tempfile
from pathlib import Path
from typing import Any

import bench
from bench.common import Context, Row, machine
from inbox import logconfig
from inbox.embedded import EmbeddedServers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
DOC = ROOT / "docs" / "benchmarks.md"


def modules(names: list[str]) -> list[str]:
    found = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    return [m for m in found if not names or m.removeprefix("bench_") in names]


def fmt(value: float | None) -> str:
    return "" if value is None else f"{value:,.3f}".rstrip("0").rstrip(".")


def render(rows: list[Row], info: dict[str, Any]) -> str:
    out = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`python -m bench`); raw numbers in `bench/results/latest.json`.",
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']},"
        f" {info['platform']}, {info['date']}.",
        "Each section has a floor measured in the same run, so numbers compare on one machine.",
        "The embedded SecantusDB is a single-core Python server; MongoDB itself is faster.",
        "",
    ]
    for section in dict.fromkeys(r.section for r in rows):
        out += [
            f"## {section}",
            "",
            "| case | count | per second | p50 ms | p99 ms | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for r in (r for r in rows if r.section == section):
            out.append(
                f"| {r.case} | {r.count} | {fmt(r.rate)} | {fmt(r.p50_ms)} | {fmt(r.p99_ms)}"
                f" | {r.note} |"
            )
        out.append("")
    return "\n".join(out)


async def run_all(names: list[str], quick: bool) -> dict[str, list[Row]]:
    """Rows per benchmark module, in discovery order."""
    results: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as tmp:
        servers = EmbeddedServers(Path(tmp), memory=True)
        servers.start()
        try:
            ctx = Context(servers=servers, workdir=Path(tmp), quick=quick)
            for name in modules(names):
                module = importlib.import_module(f"bench.{name}")
                print(f"running {name} ...", flush=True)
                got = await module.run(ctx)
                for row in got:
                    print(
                        f"  {row.section} | {row.case}: {fmt(row.rate)}/s"
                        f" p50 {fmt(row.p50_ms)} ms p99 {fmt(row.p99_ms)} ms {row.note}"
                    )
                results[name] = got
        finally:
            servers.stop()
    return results


def merged(fresh: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """A named run replaces its own modules' rows and keeps the others' from the last run."""
    kept: dict[str, list[Row]] = {}
    try:
        old = json.loads(RESULTS.read_text()).get("modules", {})
        kept = {name: [Row(**r) for r in rows] for name, rows in old.items()}
    except (OSError, ValueError, TypeError):
        pass
    kept.update(fresh)
    order = modules([])
    return {name: kept[name] for name in order if name in kept}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help="which benchmarks (default: all)")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    args = parser.parse_args()
    logconfig.configure("WARNING", "console")
    logging.getLogger().setLevel(logging.WARNING)
    fresh = asyncio.run(run_all(args.names, args.quick))
    info = machine()
    if not args.quick:
        results = merged(fresh)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                {
                    "machine": info,
                    "modules": {n: [r.as_dict() for r in rows] for n, rows in results.items()},
                },
                indent=2,
            )
        )
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(render([r for rows in results.values() for r in rows], info))
        print(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
