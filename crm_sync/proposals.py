"""Contact matching across channels: the same phone or email proposes a merge, never a name.

Proposals are stored once per pair and wait for an operator or manager to confirm (see
:mod:`crm_sync.merge`); nothing is ever merged automatically.
"""

from __future__ import annotations

import re

import structlog

from inbox.domain.clock import Clock
from inbox.domain.models import Contact, MergeProposal
from inbox.domain.ports import CrmContactStore, MergeRepository

log = structlog.get_logger(__name__)

_NOT_DIGIT = re.compile(r"\D")


def normal_phone(phone: str) -> str:
    return _NOT_DIGIT.sub("", phone)


def match_keys(contact: Contact) -> list[str]:
    """Normalised phones and emails; never the name (names are not identities)."""
    keys = {f"phone:+{normal_phone(p)}" for p in contact.phones if len(normal_phone(p)) >= 6}
    keys |= {f"email:{e.strip().lower()}" for e in contact.emails if "@" in e}
    return sorted(keys)


def match_reasons(a: Contact, b: Contact) -> list[str]:
    """Why two contacts look like one person: the keys they share."""
    return sorted(set(match_keys(a)) & set(match_keys(b)))


def pair_id(a: str, b: str) -> str:
    return "~".join(sorted((a, b)))


class MatchProposer:
    def __init__(
        self, *, crm_contacts: CrmContactStore, merges: MergeRepository, clock: Clock
    ) -> None:
        self._crm_contacts = crm_contacts
        self._merges = merges
        self._clock = clock

    async def candidates(self, contact: Contact) -> list[tuple[Contact, list[str]]]:
        """Other contacts sharing a phone or an email with this one, with the reasons."""
        found = await self._crm_contacts.matching(contact, match_keys(contact))
        out: list[tuple[Contact, list[str]]] = []
        for other in found:
            if other.id == contact.id:
                continue
            reasons = match_reasons(contact, other)
            if reasons:
                out.append((other, reasons))
        return out

    async def propose_for(self, contact: Contact) -> int:
        """Store a proposal for every match (idempotent); returns how many are new."""
        new = 0
        for other, reasons in await self.candidates(contact):
            ids = sorted((contact.id, other.id))
            new += await self._merges.propose(
                MergeProposal(
                    id=pair_id(contact.id, other.id),
                    contact_ids=(ids[0], ids[1]),
                    reasons=tuple(reasons),
                    created_at=self._clock.now(),
                )
            )
        if new:
            log.info("crm_merge_proposed", contact_id=contact.id, count=new)
        return new
