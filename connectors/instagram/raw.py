"""Raw Instagram webhook payload models: lenient (``extra="ignore"``), bounded, and never
passed beyond the connector. Ids arrive as strings or numbers and are kept as strings."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def as_str(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


PlatformId = Annotated[str, BeforeValidator(as_str), Field(min_length=1, max_length=256)]
Url = Annotated[str, Field(max_length=4096)]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RawParty(_Raw):
    id: PlatformId


class RawFrom(_Raw):
    id: PlatformId
    username: str | None = Field(default=None, max_length=300)


class RawPayload(_Raw):
    url: Url | None = None
    title: str | None = Field(default=None, max_length=500)
    id: Annotated[str | None, BeforeValidator(as_str)] = None


class RawAttachment(_Raw):
    type: str = Field(max_length=64)
    payload: RawPayload | None = None


class RawStory(_Raw):
    id: Annotated[str | None, BeforeValidator(as_str)] = None
    url: Url | None = None


class RawReplyTo(_Raw):
    mid: str | None = Field(default=None, max_length=256)
    story: RawStory | None = None


class RawQuickReply(_Raw):
    payload: str = Field(max_length=1000)


class RawReferral(_Raw):
    ref: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=100)
    ad_id: Annotated[str | None, BeforeValidator(as_str)] = None


class RawMessage(_Raw):
    mid: PlatformId
    text: str | None = Field(default=None, max_length=65_536)
    attachments: list[RawAttachment] = Field(default_factory=list, max_length=50)
    is_echo: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False
    quick_reply: RawQuickReply | None = None
    reply_to: RawReplyTo | None = None
    referral: RawReferral | None = None


class RawReaction(_Raw):
    mid: PlatformId
    action: str = Field(default="react", max_length=32)
    reaction: str | None = Field(default=None, max_length=64)
    emoji: str | None = Field(default=None, max_length=64)


class RawRead(_Raw):
    mid: str | None = Field(default=None, max_length=256)
    watermark: int | str | None = None


class RawPostback(_Raw):
    mid: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=1000)
    payload: str | None = Field(default=None, max_length=1000)
    referral: RawReferral | None = None


class RawItem(_Raw):
    sender: RawParty
    recipient: RawParty | None = None
    timestamp: int | float | str | None = None


class RawCommentMedia(_Raw):
    id: Annotated[str | None, BeforeValidator(as_str)] = None
    media_product_type: str | None = Field(default=None, max_length=64)


class RawComment(_Raw):
    id: PlatformId
    text: str | None = Field(default=None, max_length=65_536)
    from_: RawFrom = Field(alias="from")
    media: RawCommentMedia | None = None
    parent_id: Annotated[str | None, BeforeValidator(as_str)] = None
