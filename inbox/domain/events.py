"""Domain events: one per state change, published to the live stream and to plugins.

Every event is small and JSON-serializable. ``type`` is a stable name the browser and the
plugins switch on. Consumers must tolerate replays (at-least-once delivery).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from inbox.domain.models import (
    Contact,
    Conversation,
    DeliveryStatus,
    Line,
    Message,
    Model,
)


class Event(Model):
    """Base of domain events. ``team_id``/``assignee_id`` let the live feed filter by audience."""

    type: str
    at: datetime
    conversation_id: str | None = None
    line_id: str | None = None
    team_id: str | None = None
    assignee_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class MessageStored(Model):
    """In-process notice to post-ingest hooks (router, CRM) after a message is durable.

    Not pushed as is: it carries whole models. ``new_conversation`` and ``reopened`` tell the
    router and the CRM what kind of start this was. Hooks must tolerate a replay of the same
    message (a crash before the hooks finished is healed by running them again).
    """

    message: Message
    conversation: Conversation
    contact: Contact
    line: Line
    new_conversation: bool = False
    reopened: bool = False
    first_message: bool = False


EventType = Literal[
    "message.created",
    "message.updated",
    "message.status",
    "conversation.created",
    "conversation.updated",
    "conversation.assigned",
    "conversation.status",
    "contact.updated",
    "crm.updated",
    "typing",
    "viewing",
    "presence",
]


def about(kind: str, conversation: Conversation, at: datetime, data: dict[str, Any]) -> Event:
    """An event addressed to the audience of one conversation (its team and assignee)."""
    return Event(
        type=kind,
        at=at,
        conversation_id=conversation.id,
        line_id=conversation.line_id,
        team_id=conversation.team_id,
        assignee_id=conversation.assignee_id,
        data=data,
    )


def message_event(kind: str, message: Message, conversation: Conversation, at: datetime) -> Event:
    """An event about one message."""
    return about(kind, conversation, at, {"message": message.model_dump(mode="json")})


def conversation_event(kind: str, conversation: Conversation, at: datetime, **extra: Any) -> Event:
    """An event about a conversation's state."""
    return about(
        kind, conversation, at, {"conversation": conversation.model_dump(mode="json"), **extra}
    )


def status_event(message: Message, conversation: Conversation, at: datetime) -> Event:
    """A delivery status change of an outbound message."""
    error = message.error.model_dump(mode="json") if message.error else None
    return about(
        "message.status",
        conversation,
        at,
        {"message_id": message.id, "status": message.status.value, "error": error},
    )


__all__ = [
    "DeliveryStatus",
    "Event",
    "EventType",
    "MessageStored",
    "about",
    "conversation_event",
    "message_event",
    "status_event",
]
