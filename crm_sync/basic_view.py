"""The minimal CRM view: a contact's conversations in time order (no leads or deals yet)."""

from __future__ import annotations

from typing import Any

from inbox.domain.ports import ContactRepository, ConversationRepository


class ConversationsOnlyView:
    def __init__(
        self, *, contacts: ContactRepository, conversations: ConversationRepository
    ) -> None:
        self._contacts = contacts
        self._conversations = conversations

    async def contact_overview(self, contact_id: str) -> dict[str, Any]:
        contact = await self._contacts.get(contact_id)
        items: list[dict[str, Any]] = []
        for conversation in await self._conversations.list(contact_id=contact_id, limit=500):
            items.append(
                {
                    "type": "conversation",
                    "at": conversation.created_at.isoformat(),
                    "conversation": conversation.model_dump(mode="json"),
                }
            )
        items.sort(key=lambda i: str(i["at"]), reverse=True)
        return {"contact": contact.model_dump(mode="json"), "timeline": items}
