"""The route registry of ``/api/v1``: every route states its roles and its pydantic models.

One declaration feeds three things: the aiohttp route table, the role check
(:func:`inbox.web.auth.requires`) and the OpenAPI document (``inbox.web.api.openapi``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from inbox.domain.errors import ValidationFailed
from inbox.domain.models import Role
from inbox.web.auth import RouteHandler, requires
from inbox.web.body import read_json

PREFIX = "/api/v1"
M = TypeVar("M", bound=BaseModel)


class Body(BaseModel):
    """Base of request bodies and query models: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    summary: str
    tag: str
    roles: tuple[Role, ...]
    public: bool
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    multipart: bool
    handler: RouteHandler


@dataclass
class ApiRoutes:
    """Routes of one API module; ``table`` is added to the app, ``routes`` feed OpenAPI."""

    tag: str
    table: web.RouteTableDef = field(default_factory=web.RouteTableDef)
    routes: list[ApiRoute] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        roles: tuple[Role, ...] = (),
        public: bool = False,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        multipart: bool = False,
    ) -> Callable[[RouteHandler], RouteHandler]:
        def wrap(handler: RouteHandler) -> RouteHandler:
            checked = handler if public else requires(*roles)(handler)
            checked.__dict__["public"] = public
            self.routes.append(
                ApiRoute(
                    method=method,
                    path=PREFIX + path,
                    summary=summary,
                    tag=self.tag,
                    roles=roles,
                    public=public,
                    body=body,
                    query=query,
                    response=response,
                    multipart=multipart,
                    handler=checked,
                )
            )
            self.table.route(method, PREFIX + path)(checked)
            return checked

        return wrap


def _invalid(e: ValidationError) -> ValidationFailed:
    errors = e.errors()
    if not errors:
        return ValidationFailed("invalid request", code="invalid_request")
    where = ".".join(str(p) for p in errors[0]["loc"])
    return ValidationFailed(f"{where}: {errors[0]['msg']}", code="invalid_request")


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body validated by ``model``; 422 with the first problem otherwise."""
    data = await read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise _invalid(e) from e


def read_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as e:
        raise _invalid(e) from e


def respond(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


def no_content() -> web.Response:
    return web.Response(status=204)


def path_ids(request: web.Request, *names: str) -> tuple[str, ...]:
    return tuple(request.match_info[n] for n in names)


def all_route_specs(modules: list[ApiRoutes]) -> list[ApiRoute]:
    return [r for m in modules for r in m.routes]


JsonDict = dict[str, Any]
