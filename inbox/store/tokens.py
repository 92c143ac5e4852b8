"""Personal API tokens: only a SHA-256 of each token is stored, never the token itself."""

from __future__ import annotations

import hashlib
from datetime import datetime

from inbox.domain.ids import new_id, new_secret
from inbox.store.mongo import Database


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MongoTokenRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["api_tokens"]

    async def issue(self, operator_id: str, name: str, now: datetime) -> tuple[str, str]:
        """Create a token; returns (token id, the token). The token is shown once."""
        token = "inb_" + new_secret(30)
        token_id = new_id()
        await self._c.insert_one(
            {
                "_id": token_id,
                "digest": token_digest(token),
                "operator_id": operator_id,
                "name": name,
                "created_at": now,
                "revoked": False,
            }
        )
        return token_id, token

    async def operator_for(self, token: str) -> str | None:
        doc = await self._c.find_one({"digest": token_digest(token), "revoked": False})
        return str(doc["operator_id"]) if doc else None

    async def list_for(self, operator_id: str) -> list[dict[str, object]]:
        """The operator's tokens (id, name, created_at, revoked), never the digests."""
        cursor = self._c.find({"operator_id": operator_id}, {"digest": 0}).sort("_id", -1)
        return [
            {
                "id": d["_id"],
                "name": d["name"],
                "created_at": d["created_at"],
                "revoked": d["revoked"],
            }
            async for d in cursor
        ]

    async def revoke(self, token_id: str, operator_id: str) -> bool:
        result = await self._c.update_one(
            {"_id": token_id, "operator_id": operator_id}, {"$set": {"revoked": True}}
        )
        return result.modified_count == 1

    async def revoke_all(self, operator_id: str) -> int:
        """Revoke every live token of an operator (password changed, account deactivated)."""
        result = await self._c.update_many(
            {"operator_id": operator_id, "revoked": False}, {"$set": {"revoked": True}}
        )
        return int(result.modified_count)
