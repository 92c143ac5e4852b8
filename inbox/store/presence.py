"""Operator presence in MongoDB: the durable copy behind the router's Redis view.

Heartbeats stay in Redis; only changes of presence are written here, so a restarted Redis
(or worker) knows who was online and since when an operator has been offline.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from inbox.domain.models import Contact, Presence
from inbox.store.mongo import Database


class MongoPresenceRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["operator_presence"]

    async def set(self, operator_id: str, presence: Presence, at: datetime) -> bool:
        try:
            result = await self._c.update_one(
                {"_id": operator_id, "presence": {"$ne": presence.value}},
                {"$set": {"presence": presence.value, "since": at}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # the document exists with this presence already: no change
        return result.modified_count == 1 or result.upserted_id is not None

    async def all(self) -> dict[str, tuple[Presence, datetime]]:
        return {d["_id"]: (Presence(d["presence"]), d["since"]) async for d in self._c.find({})}


class MongoAccountOwners:
    """The contact's own owner, else the owner of the contact's company."""

    def __init__(self, db: Database) -> None:
        self._companies = db["crm_companies"]  # the CRM side owns companies

    async def owner_of(self, contact: Contact) -> str | None:
        if contact.owner_id:
            return contact.owner_id
        if not contact.company_id:
            return None
        doc = await self._companies.find_one({"_id": contact.company_id}, {"owner_id": 1})
        owner = doc.get("owner_id") if doc else None
        return owner if isinstance(owner, str) else None
