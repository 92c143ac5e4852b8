"""Canned responses: short texts with placeholders, shared by a team or by everyone."""

from __future__ import annotations

from inbox.domain.errors import NotFound
from inbox.domain.models import CannedResponse
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database


class MongoCannedRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["canned_responses"]

    async def add(self, canned: CannedResponse) -> CannedResponse:
        await self._c.insert_one(to_doc(canned))
        return canned

    async def get(self, canned_id: str) -> CannedResponse:
        doc = await self._c.find_one({"_id": canned_id})
        if doc is None:
            raise NotFound(f"canned response {canned_id} not found", code="canned_not_found")
        return from_doc(CannedResponse, doc)

    async def list(self, team_ids: list[str | None] | None = None) -> list[CannedResponse]:
        """Every response (None) or those of these teams (None in the list: shared ones)."""
        query = {} if team_ids is None else {"team_id": {"$in": team_ids}}
        cursor = self._c.find(query).sort("title", 1).limit(500)
        return [from_doc(CannedResponse, d) async for d in cursor]

    async def delete(self, canned_id: str) -> None:
        result = await self._c.delete_one({"_id": canned_id})
        if result.deleted_count == 0:
            raise NotFound(f"canned response {canned_id} not found", code="canned_not_found")
