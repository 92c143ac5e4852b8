"""MongoDB connection, server checks and index creation (idempotent, explicit names)."""

from __future__ import annotations

from typing import Any

import structlog
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from inbox.domain.errors import StartupError

log = structlog.get_logger(__name__)

Doc = dict[str, Any]
Database = AsyncDatabase[Doc]

MIN_MONGO_VERSION = (7, 0)


def make_client(url: str) -> AsyncMongoClient[Doc]:
    """A client with UTC-aware datetimes; nothing connects until the first operation."""
    return AsyncMongoClient(url, tz_aware=True, connect=False, serverSelectionTimeoutMS=5000)


async def check_server(db: Database) -> str:
    """Refuse MongoDB servers older than 7.0; returns the version string."""
    try:
        info = await db.client.admin.command("buildInfo")
    except PyMongoError as e:
        raise StartupError(f"MongoDB is not reachable: {e}") from e
    version = str(info.get("version", "0"))
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    # SecantusDB reports its own version line; it is the embedded stand-in, so accept it.
    if "secantus" not in str(info).lower() and parts < MIN_MONGO_VERSION:
        raise StartupError(f"MongoDB {version} is too old: 7.0 or newer is required")
    return version


def _ix(keys: list[tuple[str, int]], name: str, **kw: Any) -> IndexModel:
    return IndexModel(keys, name=name, **kw)


INDEXES: dict[str, list[IndexModel]] = {
    "messages": [
        _ix(
            [("line_id", ASCENDING), ("external_id", ASCENDING)],
            "uniq_line_external_id",
            unique=True,
            partialFilterExpression={"external_id": {"$type": "string"}},
        ),
        _ix([("conversation_id", ASCENDING), ("_id", DESCENDING)], "by_conversation"),
        _ix([("status", ASCENDING), ("next_attempt_at", ASCENDING)], "outbound_due"),
        _ix(
            [("hooks_done", ASCENDING), ("created_at", ASCENDING)],
            "hooks_pending",
            partialFilterExpression={"hooks_done": False},
        ),
        _ix([("search_words", ASCENDING)], "by_search_words"),
        _ix([("attachments.file_id", ASCENDING)], "by_file_id"),
    ],
    "conversations": [
        # At most one active (not resolved) conversation per customer and line.
        _ix(
            [("line_id", ASCENDING), ("contact_id", ASCENDING)],
            "uniq_active_per_contact_line",
            unique=True,
            partialFilterExpression={"active": True},
        ),
        _ix(
            [("line_id", ASCENDING), ("contact_id", ASCENDING), ("resolved_at", DESCENDING)],
            "by_contact_recent",
        ),
        _ix([("status", ASCENDING), ("last_message_at", DESCENDING)], "inbox_by_status"),
        _ix([("assignee_id", ASCENDING), ("status", ASCENDING)], "by_assignee"),
        _ix(
            [("team_id", ASCENDING), ("status", ASCENDING), ("priority", DESCENDING)],
            "queue_by_team",
        ),
        _ix([("contact_id", ASCENDING), ("created_at", DESCENDING)], "by_contact"),
        _ix([("updated_at", DESCENDING), ("_id", DESCENDING)], "inbox_recent"),
    ],
    "contacts": [
        _ix(
            [("identity_keys", ASCENDING)],
            "uniq_identity",
            unique=True,
            partialFilterExpression={"identity_keys": {"$exists": True}},
        ),
        _ix([("phones", ASCENDING)], "by_phone"),
        _ix([("emails", ASCENDING)], "by_email"),
        _ix([("name_lower", ASCENDING)], "by_name"),
        _ix([("name_words", ASCENDING)], "by_name_words"),
        _ix([("phone_suffixes", ASCENDING)], "by_phone_suffix"),
    ],
    "operators": [_ix([("login", ASCENDING)], "uniq_login", unique=True)],
    "teams": [_ix([("name", ASCENDING)], "by_name")],
    "lines": [_ix([("kind", ASCENDING)], "by_kind")],
    "api_tokens": [_ix([("digest", ASCENDING)], "uniq_digest", unique=True)],
    "canned_responses": [_ix([("team_id", ASCENDING), ("title", ASCENDING)], "by_team_title")],
}


async def ensure_indexes(db: Database, extra: dict[str, list[IndexModel]] | None = None) -> None:
    """Create every index the hub needs; safe to run on each start and from many processes."""
    wanted: dict[str, list[IndexModel]] = {k: list(v) for k, v in INDEXES.items()}
    for name, models in (extra or {}).items():
        wanted.setdefault(name, []).extend(models)
    for collection, models in wanted.items():
        await db[collection].create_indexes(models)
    log.debug("indexes_ready", collections=sorted(wanted))
