"""Managers' reports: metric definitions (one place each), business hours, aggregates.

Everything here is pure: functions over stored timestamps, no I/O. ``docs/reports.md``
states each definition in words; the tests in ``tests/services/reports`` check each one
against hand-computed cases.
"""
