"""MongoDB connection, server checks and index creation (idempotent, explicit names)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import structlog
from bson.errors import InvalidDocument
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DocumentTooLarge, OperationFailure, PyMongoError, WriteError

from inbox.domain.errors import PayloadRejected, StartupError

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


# Server codes of a write that can never succeed as it is (index key too large etc.).
_UNSTORABLE_CODES = {17280, 10334, 2, 52, 55, 121}


@contextlib.contextmanager
def storable(what: str) -> Iterator[None]:
    """Turn a document the server can never hold into ``PayloadRejected``: retrying such a
    webhook cannot help. Connection errors pass through (a retry will)."""
    try:
        yield
    except (InvalidDocument, DocumentTooLarge, OverflowError, UnicodeEncodeError) as e:
        raise PayloadRejected(
            f"the {what} cannot be stored ({type(e).__name__})", code="unstorable"
        ) from e
    except WriteError as e:
        if e.code not in _UNSTORABLE_CODES:
            raise
        raise PayloadRejected(
            f"the {what} cannot be stored (server code {e.code})", code="unstorable"
        ) from e


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
        # SecantusDB never plans a query on a partial index, so lookups get a plain index of
        # their own (a different key pattern, which MongoDB also accepts beside the partial).
        _ix(
            [("line_id", ASCENDING), ("external_id", ASCENDING), ("direction", ASCENDING)],
            "by_line_external_id",
        ),
        _ix([("conversation_id", ASCENDING), ("_id", DESCENDING)], "by_conversation"),
        # Later parts of a split reply: receipts find their message by these (not unique).
        _ix([("line_id", ASCENDING), ("extra_external_ids", ASCENDING)], "by_line_extra_id"),
        _ix([("status", ASCENDING), ("next_attempt_at", ASCENDING)], "outbound_due"),
        _ix([("hooks_done", ASCENDING), ("created_at", ASCENDING)], "hooks_pending"),
        # Plain, not partial: SecantusDB plans no query on a partial index (see above).
        _ix([("files_pending", ASCENDING), ("files_next_at", ASCENDING)], "files_pending"),
        _ix([("search_words", ASCENDING)], "by_search_words"),
        _ix([("attachments.file_id", ASCENDING)], "by_file_id"),
    ],
    "conversations": [
        # At most one active (not resolved) conversation per customer and line, and for
        # email per mail thread (``thread_key``, absent on other channels); see store/mail.py.
        _ix(
            [("line_id", ASCENDING), ("contact_id", ASCENDING), ("thread_key", ASCENDING)],
            "uniq_active_per_contact_line_thread",
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
        _ix(
            [("assignee_id", ASCENDING), ("priority", DESCENDING), ("queued_at", ASCENDING)],
            "routing_queue",
            partialFilterExpression={"active": True},
        ),
        _ix(
            [("reply_due_at", ASCENDING)],
            "routing_reply_due",
            partialFilterExpression={"active": True},
        ),
        _ix([("updated_at", DESCENDING), ("_id", DESCENDING)], "inbox_recent"),
    ],
    "reply_keys": [
        _ix([("expires_at", ASCENDING)], "expire_when_due", expireAfterSeconds=0),
    ],
    "rejected_webhooks": [
        _ix([("line_id", ASCENDING), ("sha256", ASCENDING)], "uniq_line_body", unique=True),
        # Records are evidence for a while, not an archive.
        _ix([("last_at", ASCENDING)], "expire_after_30_days", expireAfterSeconds=30 * 86400),
    ],
    "contacts": [
        _ix(
            [("identity_keys", ASCENDING)],
            "uniq_identity",
            unique=True,
            partialFilterExpression={"identity_keys": {"$exists": True}},
        ),
        _ix([("identity_keys", ASCENDING), ("merged_into", ASCENDING)], "by_identity"),
        _ix([("phones", ASCENDING)], "by_phone"),
        _ix([("emails", ASCENDING)], "by_email"),
        _ix([("name_lower", ASCENDING)], "by_name"),
        _ix([("match_keys", ASCENDING)], "by_match_key"),  # CRM: normalised phones/emails
        _ix([("name_words", ASCENDING)], "by_name_words"),
        _ix([("phone_suffixes", ASCENDING)], "by_phone_suffix"),
        _ix([("company_id", ASCENDING)], "by_company"),  # CRM: people of a company
        _ix([("merged_into", ASCENDING)], "by_merged_into"),  # CRM: contacts absorbed
    ],
    "operators": [_ix([("login", ASCENDING)], "uniq_login", unique=True)],
    "teams": [_ix([("name", ASCENDING)], "by_name")],
    "operator_presence": [_ix([("presence", ASCENDING)], "by_presence")],
    "lines": [_ix([("kind", ASCENDING)], "by_kind")],
    "api_tokens": [_ix([("digest", ASCENDING)], "uniq_digest", unique=True)],
    # CRM side (issue 6): one lead or deal per conversation, one deal per converted lead.
    "crm_leads": [
        _ix(
            [("conversation_ids", ASCENDING)],
            "uniq_lead_conversation",
            unique=True,
            partialFilterExpression={"conversation_ids": {"$exists": True}},
        ),
        # plain twin of the partial unique index, for lookups (see "messages")
        _ix([("conversation_ids", ASCENDING), ("status", ASCENDING)], "by_conversation"),
        _ix([("contact_id", ASCENDING), ("status", ASCENDING)], "by_contact_status"),
        _ix([("company_id", ASCENDING)], "by_company"),
        _ix([("responsible_id", ASCENDING)], "by_responsible"),  # CRM team scoping
    ],
    "crm_deals": [
        _ix(
            [("conversation_ids", ASCENDING)],
            "uniq_deal_conversation",
            unique=True,
            partialFilterExpression={"conversation_ids": {"$exists": True}},
        ),
        _ix(
            [("lead_id", ASCENDING)],
            "uniq_deal_lead",
            unique=True,
            partialFilterExpression={"lead_id": {"$type": "string"}},
        ),
        _ix([("conversation_ids", ASCENDING), ("stage_id", ASCENDING)], "by_conversation"),
        _ix([("lead_id", ASCENDING), ("pipeline_id", ASCENDING)], "by_lead"),
        _ix([("contact_id", ASCENDING), ("closed_at", ASCENDING)], "by_contact_open"),
        _ix([("pipeline_id", ASCENDING), ("stage_id", ASCENDING)], "by_stage"),
        _ix([("company_id", ASCENDING)], "by_company"),
        _ix([("responsible_id", ASCENDING)], "by_responsible"),  # CRM team scoping
    ],
    "crm_companies": [
        _ix([("name_lower", ASCENDING)], "by_name"),
        _ix([("owner_id", ASCENDING)], "by_owner"),  # CRM team scoping
    ],
    "crm_tasks": [
        _ix([("done", ASCENDING), ("fired_at", ASCENDING), ("due_at", ASCENDING)], "due"),
        _ix([("responsible_id", ASCENDING), ("due_at", ASCENDING)], "by_responsible"),
        _ix([("contact_id", ASCENDING)], "by_contact"),
        _ix([("company_id", ASCENDING)], "by_company"),  # CRM team scoping
    ],
    "crm_notes": [_ix([("contact_id", ASCENDING), ("created_at", DESCENDING)], "by_contact")],
    "crm_merge_proposals": [
        _ix([("status", ASCENDING), ("created_at", DESCENDING)], "by_status"),
        _ix([("contact_ids", ASCENDING)], "by_contact"),  # CRM team scoping
    ],
    "crm_outbox": [
        _ix([("status", ASCENDING), ("next_attempt_at", ASCENDING)], "due"),
        _ix([("status", ASCENDING), ("updated_at", DESCENDING)], "by_status"),
    ],
    "canned_responses": [_ix([("team_id", ASCENDING), ("title", ASCENDING)], "by_team_title")],
}


async def ensure_indexes(db: Database, extra: dict[str, list[IndexModel]] | None = None) -> None:
    """Create every index the hub needs; safe to run on each start and from many processes."""
    wanted: dict[str, list[IndexModel]] = {k: list(v) for k, v in INDEXES.items()}
    for name, models in (extra or {}).items():
        wanted.setdefault(name, []).extend(models)
    # Replaced by uniq_active_per_contact_line_thread (email threads, issue 13).
    with contextlib.suppress(OperationFailure):
        await db["conversations"].drop_index("uniq_active_per_contact_line")
    for collection, models in wanted.items():
        await db[collection].create_indexes(models)
    log.debug("indexes_ready", collections=sorted(wanted))
