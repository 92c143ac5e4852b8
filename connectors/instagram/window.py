"""Which kind of send Instagram allows now, decided before anything leaves the hub.

- Inside 24 hours of the customer's last message: a normal reply (``RESPONSE``).
- From 24 hours to 7 days: only a human operator's reply, with the ``HUMAN_AGENT`` tag,
  and only on a line whose app has that permission (``human_agent`` setting). Automatic
  and bot messages (no operator) never get the tag.
- When the customer's latest message is a comment on a post, the one private reply the
  platform allows (within 7 days of the comment), sent to the comment.
- Anything else is refused with a reason the operator can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.instagram.config import (
    HUMAN_AGENT_WINDOW,
    PRIVATE_REPLY_WINDOW,
    WINDOW,
    InstagramLineConfig,
)
from connectors.instagram.errors import refused
from inbox.domain.models import Conversation, Message

COMMENT_PREFIX = "comment:"


@dataclass(frozen=True, slots=True)
class Mode:
    """How to address one send: the recipient and the extra Send API fields."""

    recipient: dict[str, str]
    fields: dict[str, str]
    private_reply: bool = False


def _left(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} h"
    return f"{max(1, int(delta.total_seconds() // 60))} min"


def reply_mode(
    config: InstagramLineConfig,
    *,
    customer_id: str,
    conversation: Conversation,
    message: Message,
    last_inbound: Message | None,
    sent_since_last_inbound: int,
    now: datetime,
) -> Mode:
    """The mode of this send, or ``DeliveryError`` (permanent) saying why it cannot go."""
    if last_inbound is not None and (last_inbound.external_id or "").startswith(COMMENT_PREFIX):
        comment_id = (last_inbound.external_id or "").removeprefix(COMMENT_PREFIX)
        if sent_since_last_inbound > 0:
            raise refused(
                "Instagram allows one private reply to a comment, and it was sent: the "
                "customer must write to you in Direct before you can send more",
                "instagram_private_reply_used",
            )
        if now - last_inbound.created_at > PRIVATE_REPLY_WINDOW:
            raise refused(
                "a comment can get a private reply within 7 days only, and this one is older",
                "instagram_private_reply_expired",
            )
        return Mode(recipient={"comment_id": comment_id}, fields={}, private_reply=True)
    last = conversation.last_customer_message_at or (
        last_inbound.created_at if last_inbound else None
    )
    if last is None:
        raise refused(
            "the customer has not written on Instagram yet: businesses cannot start a chat",
            "instagram_no_customer_message",
        )
    age = now - last
    recipient = {"id": customer_id}
    if age <= WINDOW:
        return Mode(recipient=recipient, fields={"messaging_type": "RESPONSE"})
    if age > HUMAN_AGENT_WINDOW:
        raise refused(
            "outside Instagram's reply window: the customer wrote more than 7 days ago; "
            "they must write again before you can answer",
            "instagram_window_closed",
        )
    if not config.human_agent:
        raise refused(
            "outside Instagram's 24-hour window: this line has no Human Agent permission, "
            "so the customer must write again before you can answer",
            "instagram_window_closed",
        )
    if message.sender_id is None:
        raise refused(
            "outside Instagram's 24-hour window: only a person may reply now (with the "
            "Human Agent tag), never an automatic message",
            "instagram_window_human_only",
        )
    return Mode(recipient=recipient, fields={"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"})


def window_note(config: InstagramLineConfig, last: datetime | None, now: datetime) -> str:
    """How long the window stays open, in words (for logs and the CLI)."""
    if last is None:
        return "closed: the customer has not written"
    if now - last <= WINDOW:
        return f"open for {_left(last + WINDOW - now)}"
    if config.human_agent and now - last <= HUMAN_AGENT_WINDOW:
        return f"human agents only, for {_left(last + HUMAN_AGENT_WINDOW - now)}"
    return "closed"
