"""Typed application keys (never string keys)."""

from __future__ import annotations

from aiohttp import web

from inbox.wiring import Hub

HUB = web.AppKey("hub", Hub)
