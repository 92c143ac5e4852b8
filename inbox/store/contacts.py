"""Contacts in MongoDB, found by their per-line channel identities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from inbox.domain.errors import NotFound
from inbox.domain.ids import new_id
from inbox.domain.inbound import ContactUpdate, InboundMessage
from inbox.domain.models import ChannelIdentity, Contact, Line, identity_key
from inbox.store.docs import from_doc, to_doc
from inbox.store.mongo import Database, storable
from inbox.store.search import phone_suffixes, words

_UPSERT_TRIES = 5


def contact_doc(contact: Contact) -> dict[str, Any]:
    """The stored form of a contact, with the derived fields its indexes need."""
    doc = to_doc(contact)
    doc["identity_keys"] = [i.key for i in contact.identities]
    doc["name_lower"] = contact.name.lower()
    doc["name_words"] = words(contact.name)
    doc["phone_suffixes"] = phone_suffixes(contact.phones)
    return doc


class MongoContactRepository:
    def __init__(self, db: Database) -> None:
        self._c = db["contacts"]

    async def upsert_identity(self, line: Line, inbound: InboundMessage, now: datetime) -> Contact:
        return (await self.identify(line, inbound, now))[0]

    async def identify(
        self, line: Line, inbound: InboundMessage, now: datetime
    ) -> tuple[Contact, bool]:
        key = identity_key(line.id, inbound.external_user_id)
        known = await self._c.find_one({"identity_keys": key})
        if known is not None:  # the common case: a returning customer, one read
            return from_doc(Contact, known), False
        identity = ChannelIdentity(
            line_id=line.id,
            channel=line.kind,
            external_id=inbound.external_user_id,
            username=inbound.username,
            display_name=inbound.user_name or None,
        )
        fresh = Contact(
            id=new_id(),
            name=inbound.user_name or inbound.username or inbound.external_user_id,
            identities=(identity,),
            phones=(inbound.phone,) if inbound.phone else (),
            emails=(inbound.email.lower(),) if inbound.email else (),
            language=inbound.language,
            created_at=now,
            updated_at=now,
        )
        for _ in range(_UPSERT_TRIES):
            # update_one(upsert) rather than find_one_and_update: see ../shared/mongodb.md.
            try:
                with storable("contact"):
                    result = await self._c.update_one(
                        {"identity_keys": key}, {"$setOnInsert": contact_doc(fresh)}, upsert=True
                    )
            except DuplicateKeyError:
                continue  # a concurrent upsert won the race; read theirs
            doc = await self._c.find_one({"identity_keys": key})
            if doc is not None:
                return from_doc(Contact, doc), result.upserted_id is not None
        raise NotFound(f"contact for identity {key} could not be stored")

    async def get(self, contact_id: str) -> Contact:
        doc = await self._c.find_one({"_id": contact_id})
        if doc is None:
            raise NotFound(f"contact {contact_id} not found", code="contact_not_found")
        return from_doc(Contact, doc)

    async def find_by_identity(self, line_id: str, external_id: str) -> Contact | None:
        doc = await self._c.find_one({"identity_keys": identity_key(line_id, external_id)})
        return from_doc(Contact, doc) if doc else None

    async def apply_update(
        self, line: Line, update: ContactUpdate, now: datetime
    ) -> Contact | None:
        key = identity_key(line.id, update.external_user_id)
        setter: dict[str, Any] = {"updated_at": now}
        if update.reachable is not None:
            setter["identities.$[ident].reachable"] = update.reachable
        if update.source:
            setter["identities.$[ident].pending_source"] = update.source
        if update.language:
            setter["language"] = update.language
        profile = {
            "identities.$[ident].display_name": update.user_name,
            "identities.$[ident].username": update.username,
            "identities.$[ident].avatar_url": update.avatar_url,
        }
        setter.update({k: v for k, v in profile.items() if v})
        uses_ident = any(k.startswith("identities.") for k in setter)
        change: dict[str, Any] = {"$set": setter}
        if update.phone:
            change["$addToSet"] = {
                "phones": update.phone,
                "phone_suffixes": {"$each": phone_suffixes([update.phone])},
            }
        # MongoDB refuses array filters that the update does not use.
        filters = (
            [{"ident.line_id": line.id, "ident.external_id": update.external_user_id}]
            if uses_ident
            else None
        )
        result = await self._c.update_one({"identity_keys": key}, change, array_filters=filters)
        shown = update.user_name or update.username
        if shown and result.matched_count:
            # A contact named only by its platform id or handle (Instagram's webhooks carry
            # no name) takes the profile's name; a name an operator or the customer gave stays.
            await self._c.update_one(
                {
                    "identity_keys": key,
                    "name": {"$in": [update.external_user_id, update.username or ""]},
                },
                {"$set": {"name": shown, "name_lower": shown.lower(), "name_words": words(shown)}},
            )
        if result.matched_count == 0:
            if not update.create:
                return None
            # upsert_identity reads only the sender's fields of the message.
            sender = InboundMessage(
                external_id="-",
                external_user_id=update.external_user_id,
                user_name=update.user_name or "",
                phone=update.phone,
                language=update.language,
            )
            await self.upsert_identity(line, sender, now)
            return await self.apply_update(line, update.model_copy(update={"create": False}), now)
        return await self.find_by_identity(line.id, update.external_user_id)

    async def clear_pending_source(self, line_id: str, external_id: str, source: str) -> None:
        # Conditional on the value read: a newer context stored meanwhile is kept.
        await self._c.update_one(
            {"identity_keys": identity_key(line_id, external_id)},
            {"$set": {"identities.$[ident].pending_source": None}},
            array_filters=[
                {
                    "ident.line_id": line_id,
                    "ident.external_id": external_id,
                    "ident.pending_source": source,
                }
            ],
        )

    async def discard_if_unused(self, contact_id: str) -> bool:
        db = self._c.database
        if await db["conversations"].find_one({"contact_id": contact_id}) or await db[
            "messages"
        ].find_one({"sender_id": contact_id}):
            return False
        return (await self._c.delete_one({"_id": contact_id})).deleted_count == 1

    async def list(self, limit: int = 100) -> list[Contact]:
        cursor = self._c.find({"merged_into": None}).sort("_id", -1).limit(limit)
        return [from_doc(Contact, d) async for d in cursor]
