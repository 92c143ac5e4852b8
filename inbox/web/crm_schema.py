"""Request bodies of the CRM API (pydantic, for the OpenAPI generator) and small helpers."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inbox.domain.errors import ValidationFailed
from inbox.domain.models import LeadStatus, Stage
from inbox.web.api.bounds import Instant
from inbox.web.body import JSON_MAX_BODY, read_limited

B = TypeVar("B", bound=BaseModel)


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PipelineIn(Body):
    id: str | None = Field(default=None, min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    stages: tuple[Stage, ...]
    b2b: bool = False


class LeadMoveIn(Body):
    status: LeadStatus


class ConvertIn(Body):
    pipeline_id: str | None = None
    company_name: str | None = Field(default=None, max_length=200)
    company_id: str | None = None
    title: str | None = Field(default=None, max_length=300)
    amount: str | None = None
    currency: str | None = None


class DisqualifyIn(Body):
    reason: str = Field(min_length=1, max_length=1000)


class DealMoveIn(Body):
    stage_id: str
    pipeline_id: str | None = None


class AmountIn(Body):
    amount: str | None
    currency: str | None


class TaskIn(Body):
    title: str = Field(min_length=1, max_length=500)
    due_at: Instant
    responsible_id: str | None = None  # default: the caller
    contact_id: str | None = None
    company_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None
    conversation_id: str | None = None


class NoteIn(Body):
    text: str = Field(min_length=1, max_length=10_000)
    contact_id: str | None = None
    company_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None


class CompanyIn(Body):
    name: str = Field(min_length=1, max_length=200)


class ContactCompanyIn(Body):
    company_id: str | None


class MergeIn(Body):
    source_id: str
    target_id: str


class MatchOut(Body):
    contact: dict[str, Any]
    reasons: list[str]


async def read(request: web.Request, model: type[B]) -> B:
    try:
        return model.model_validate_json(await read_limited(request, JSON_MAX_BODY))
    except ValidationError as e:
        raise ValidationFailed(
            "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()),
            code="invalid_body",
        ) from None


def out(model: BaseModel | list[Any] | dict[str, Any], status: int = 200) -> web.Response:
    if isinstance(model, BaseModel):
        return web.json_response(model.model_dump(mode="json"), status=status)
    if isinstance(model, list):
        return web.json_response(
            {
                "items": [
                    m.model_dump(mode="json") if isinstance(m, BaseModel) else m for m in model
                ]
            },
            status=status,
        )
    return web.json_response(model, status=status)


def limit_of(request: web.Request) -> int:
    try:
        return max(1, min(500, int(request.query.get("limit", "100"))))
    except ValueError:
        raise ValidationFailed("limit must be a number", code="invalid_query") from None
