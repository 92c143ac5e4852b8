"""The operator page: static files served by the hub itself (no build step), with a strict
Content-Security-Policy so that even a missed escape cannot run injected script."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
ASSET_SUFFIXES = frozenset({".js", ".css", ".svg", ".png", ".ico", ".woff2", ".html"})
routes = web.RouteTableDef()


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


@routes.get("/")
async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers=_headers())


@routes.get("/static/{name}")
async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    # Only the page's assets: never the package's Python files or anything hidden.
    if (
        path.suffix not in ASSET_SUFFIXES
        or name.startswith((".", "_"))
        or path.parent != STATIC.resolve()
        or not path.is_file()
    ):
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers=_headers())
