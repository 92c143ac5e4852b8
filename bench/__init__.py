"""``make bench``: measured speed of the hub's hot paths, each beside a floor.

Every module ``bench/bench_*.py`` defines ``async def run(ctx: Context) -> list[Row]``.
``python -m bench`` runs them all (or those named on the command line), writes
``bench/results/latest.json`` and the table in ``docs/benchmarks.md``.
"""
