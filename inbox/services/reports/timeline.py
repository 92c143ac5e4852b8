"""A conversation's history as one ordered list of facts, built from stored documents.

The metric definitions (``inbox.services.reports.metrics``) read only this list, so what
counts as a customer message or a human reply is decided here, once:

- a customer message is an inbound message that is not an automatic mail (auto-replies,
  bounces, list mail carry ``mail.automatic``);
- a human reply is an outbound message written by an operator (``sender_id`` set) that the
  platform accepted (status sent, delivered or read). Bot and automatic messages (no
  sender), echoes of messages sent outside the hub, pending, retrying and failed sends and
  internal notes are not replies. Its moment is when it was sent (``sent_at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"  # a human operator's accepted reply
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ASSIGNED = "assigned"  # to an operator (``operator``) or back to the queue (None)


@dataclass(frozen=True)
class Fact:
    at: datetime
    kind: Kind
    operator: str | None = None
    reason: str | None = None
    previous: str | None = None


ACCEPTED = frozenset({"sent", "delivered", "read"})
# Ties at the same millisecond: a customer message that reopens a conversation is stored
# at the instant of the reopening, after it; a reply answers a message of the same instant;
# a resolution closes the moment.
_ORDER = {Kind.REOPENED: 0, Kind.CUSTOMER: 1, Kind.ASSIGNED: 2, Kind.REPLY: 3, Kind.RESOLVED: 4}


def message_fact(doc: Mapping[str, Any]) -> Fact | None:
    """The fact a stored message contributes, or None when it does not count."""
    direction = doc.get("direction")
    if direction == "in":
        mail = doc.get("mail") or {}
        if mail.get("automatic"):
            return None
        return Fact(doc["created_at"], Kind.CUSTOMER)
    if direction == "out" and doc.get("sender_id") and doc.get("status") in ACCEPTED:
        at = doc.get("sent_at") or doc["created_at"]
        return Fact(at, Kind.REPLY, operator=doc["sender_id"])
    return None


def hop_fact(hop: Mapping[str, Any]) -> Fact:
    return Fact(
        hop["at"],
        Kind.ASSIGNED,
        operator=hop.get("to_operator"),
        reason=hop.get("reason"),
        previous=hop.get("from_operator"),
    )


def status_fact(entry: Mapping[str, Any]) -> Fact | None:
    status = entry.get("status")
    if status == "resolved":
        return Fact(entry["at"], Kind.RESOLVED)
    if status == "reopened":
        return Fact(entry["at"], Kind.REOPENED)
    return None


def build(
    messages: Iterable[Mapping[str, Any]],
    hops: Iterable[Mapping[str, Any]],
    status_log: Iterable[Mapping[str, Any]],
) -> list[Fact]:
    """Every counting fact of one conversation, in time order."""
    facts = [f for f in map(message_fact, messages) if f is not None]
    facts += [hop_fact(h) for h in hops]
    facts += [f for f in map(status_fact, status_log) if f is not None]
    facts = [replace(f, at=f.at.astimezone(UTC)) for f in facts]
    facts.sort(key=lambda f: (f.at, _ORDER[f.kind]))
    return facts
