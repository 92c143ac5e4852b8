"""Local stand-ins of external platforms (Telegram Bot API, Viber REST API, Bitrix24 REST).

Small aiohttp apps on a free port that speak the platforms' real HTTP APIs (methods,
payloads, error bodies, rate-limit answers) and can push webhooks like the platforms do.
Tests, benchmarks and ``inbox demo`` point lines at them with the per-line ``api_base``
setting (Bitrix24: its webhook URL), so the hub's real code runs unchanged. Never used in
production.
"""
