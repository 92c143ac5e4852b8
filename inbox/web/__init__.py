"""The aiohttp web process: webhooks, health, the REST API and the live socket."""
