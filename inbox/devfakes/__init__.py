"""Fake external platforms (real aiohttp servers) for tests, benchmarks and demos."""
