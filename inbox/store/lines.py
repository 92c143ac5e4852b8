"""Lines (channel accounts) in MongoDB."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import Line
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database


class MongoLineRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["lines"]

    async def add(self, line: Line) -> Line:
        try:
            await self._c.insert_one(to_doc(line))
        except DuplicateKeyError as e:
            raise Conflict(f"line {line.id} exists") from e
        return line

    async def get(self, line_id: str) -> Line:
        doc = await self._c.find_one({"_id": line_id})
        if doc is None:
            raise NotFound(f"line {line_id} not found", code="line_not_found")
        return from_doc(Line, doc)

    async def list(self) -> list[Line]:
        return [from_doc(Line, d) async for d in self._c.find({}).sort("created_at", 1)]

    async def replace(self, line: Line) -> Line:
        result = await self._c.replace_one({"_id": line.id}, to_doc(line))
        if result.matched_count == 0:
            raise NotFound(f"line {line.id} not found", code="line_not_found")
        return line

    async def remove(self, line_id: str) -> None:
        await self._c.delete_one({"_id": line_id})
