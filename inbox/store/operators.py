"""Operators and teams in MongoDB. Password hashes stay in storage, never in the model."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from inbox.domain.errors import Conflict, NotFound
from inbox.domain.models import Operator, Team
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database


class MongoOperatorRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["operators"]

    async def add(self, operator: Operator, password_hash: str | None) -> Operator:
        doc = to_doc(operator)
        doc["password_hash"] = password_hash
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError as e:
            raise Conflict(f"login {operator.login!r} is taken", code="login_taken") from e
        return operator

    async def get(self, operator_id: str) -> Operator:
        doc = await self._c.find_one({"_id": operator_id})
        if doc is None:
            raise NotFound(f"operator {operator_id} not found", code="operator_not_found")
        return from_doc(Operator, doc)

    async def get_by_login(self, login: str) -> Operator | None:
        doc = await self._c.find_one({"login": login})
        return from_doc(Operator, doc) if doc else None

    async def password_hash(self, operator_id: str) -> str | None:
        doc = await self._c.find_one({"_id": operator_id}, {"password_hash": 1})
        return doc.get("password_hash") if doc else None

    async def set_password_hash(self, operator_id: str, password_hash: str) -> None:
        await self._c.update_one({"_id": operator_id}, {"$set": {"password_hash": password_hash}})

    async def list(self) -> list[Operator]:
        return [from_doc(Operator, d) async for d in self._c.find({}).sort("login", 1)]

    async def replace(self, operator: Operator) -> Operator:
        """Store changed fields of an operator (the password hash is kept)."""
        doc = to_doc(operator)
        doc.pop("_id")
        result = await self._c.update_one({"_id": operator.id}, {"$set": doc})
        if result.matched_count == 0:
            raise NotFound(f"operator {operator.id} not found", code="operator_not_found")
        return operator


class MongoTeamRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["teams"]

    async def add(self, team: Team) -> Team:
        await self._c.insert_one(to_doc(team))
        return team

    async def get(self, team_id: str) -> Team:
        doc = await self._c.find_one({"_id": team_id})
        if doc is None:
            raise NotFound(f"team {team_id} not found", code="team_not_found")
        return from_doc(Team, doc)

    async def list(self) -> list[Team]:
        return [from_doc(Team, d) async for d in self._c.find({}).sort("name", 1)]

    async def replace(self, team: Team) -> Team:
        result = await self._c.replace_one({"_id": team.id}, to_doc(team))
        if result.matched_count == 0:
            raise NotFound(f"team {team.id} not found", code="team_not_found")
        return team

    async def delete(self, team_id: str) -> None:
        result = await self._c.delete_one({"_id": team_id})
        if result.deleted_count == 0:
            raise NotFound(f"team {team_id} not found", code="team_not_found")
