"""Mapping between domain models and MongoDB documents (``id`` <-> ``_id``)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr

M = TypeVar("M", bound=BaseModel)


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_doc(model: BaseModel) -> dict[str, Any]:
    """A document for MongoDB: secrets revealed (the database is the store for them)."""
    data = {name: getattr(model, name) for name in type(model).model_fields}
    doc: dict[str, Any] = {}
    for key, value in data.items():
        dumped = value.model_dump() if isinstance(value, BaseModel) else value
        if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            dumped = [v.model_dump() for v in value]
        doc["_id" if key == "id" else key] = _plain(dumped)
    return doc


def from_doc(model: type[M], doc: dict[str, Any]) -> M:
    """A domain model from a document; storage-only fields (e.g. ``active``) are dropped."""
    fields = model.model_fields
    data = {("id" if k == "_id" else k): v for k, v in doc.items()}
    return model.model_validate({k: v for k, v in data.items() if k in fields})
