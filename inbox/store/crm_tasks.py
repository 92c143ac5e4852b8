"""CRM tasks (reminders fired once by a conditional update) and notes, in MongoDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from inbox.domain.errors import NotFound
from inbox.domain.models import CrmAudience, Note, Task
from inbox.store.crm import audience_branches, contacts_filter, find_any
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database, Doc


class MongoTaskRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_tasks"]

    async def add(self, task: Task) -> Task:
        await self._c.insert_one(to_doc(task))
        return task

    async def get(self, task_id: str) -> Task:
        doc = await self._c.find_one({"_id": task_id})
        if doc is None:
            raise NotFound(f"task {task_id} not found", code="task_not_found")
        return from_doc(Task, doc)

    async def complete(self, task_id: str, now: datetime) -> Task:
        await self._c.update_one(
            {"_id": task_id, "done": False}, {"$set": {"done": True, "done_at": now}}
        )
        return await self.get(task_id)

    async def due(self, now: datetime, limit: int = 100) -> list[Task]:
        cursor = (
            self._c.find({"done": False, "fired_at": None, "due_at": {"$lte": now}})
            .sort("due_at", ASCENDING)
            .limit(limit)
        )
        return [from_doc(Task, d) async for d in cursor]

    async def mark_fired(self, task_id: str, now: datetime) -> bool:
        result = await self._c.update_one(
            {"_id": task_id, "fired_at": None}, {"$set": {"fired_at": now}}
        )
        return result.modified_count == 1

    async def unmark_fired(self, task_id: str) -> None:
        await self._c.update_one({"_id": task_id}, {"$set": {"fired_at": None}})

    async def reassign_contact(self, task_ids: Sequence[str], contact_id: str) -> None:
        if task_ids:
            await self._c.update_many(
                {"_id": {"$in": list(task_ids)}}, {"$set": {"contact_id": contact_id}}
            )

    async def list(
        self,
        *,
        responsible_id: str | None = None,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        include_done: bool = False,
        limit: int = 100,
        audience: CrmAudience | None = None,
    ) -> list[Task]:
        query: Doc = contacts_filter(contact_ids)
        if responsible_id is not None:
            query["responsible_id"] = responsible_id
        if company_id is not None:
            query["company_id"] = company_id
        if not include_done:
            query["done"] = False
        branches = None if audience is None else audience_branches(audience)
        docs = await find_any(self._c, query, branches, ("due_at", ASCENDING), limit)
        return [from_doc(Task, d) for d in docs]


class MongoNoteRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["crm_notes"]

    async def add(self, note: Note) -> Note:
        await self._c.insert_one(to_doc(note))
        return note

    async def list(
        self,
        *,
        contact_ids: Sequence[str] | None = None,
        company_id: str | None = None,
        limit: int = 200,
    ) -> list[Note]:
        query: Doc = contacts_filter(contact_ids)
        if company_id is not None:
            query["company_id"] = company_id
        cursor = self._c.find(query).sort("created_at", DESCENDING).limit(limit)
        return [from_doc(Note, d) async for d in cursor]

    async def reassign_contact(self, note_ids: Sequence[str], contact_id: str) -> None:
        if note_ids:
            await self._c.update_many(
                {"_id": {"$in": list(note_ids)}}, {"$set": {"contact_id": contact_id}}
            )
