"""Typed application keys (never string keys). The hub is typed by what the web may use
(:class:`inbox.web.hub.WebHub`), never by the wiring's concrete class."""

from __future__ import annotations

from aiohttp import web

from inbox.web.hub import WebHub

HUB = web.AppKey("hub", WebHub)
