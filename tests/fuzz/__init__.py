"""The hostile-input fuzzer: every webhook and every ``/api/v1`` route of a real hub.

``python -m tests.fuzz`` (``make fuzz``) runs the long campaign and writes
``docs/fuzz.json`` and ``docs/fuzz.md``; ``tests/fuzz/test_fuzz_short.py`` runs a small,
deterministic one inside ``make test``. See ``docs/fuzz.md`` for what is checked.
"""
