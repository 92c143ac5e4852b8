"""Who sees a CRM record: the one rule, as a predicate and as MongoDB filter branches.

A lead, deal, task or note is seen by its responsible operator, and otherwise through the
one relation that owns it: its contact when it has one, else its company. Never through a
company's other people: a company groups contacts of possibly several teams, and seeing
one of them (or linking one's own contact to it) must not reveal the rest. A contact is
seen through its conversations; a company by its owner and through any person seen.

:func:`owner_of` names the deciding relation (used by the API's per-record guard, which
checks a contact against its conversations), :func:`admits` applies the rule to a
:class:`~inbox.domain.models.CrmAudience` in memory and :func:`record_branches` gives the
same rule as the branches of a MongoDB ``$or`` (the store runs one query per branch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from inbox.domain.models import CrmAudience

IN_CHUNK = 100


class Owned(Protocol):
    """A CRM record that belongs to a contact or a company (leads, deals and tasks also
    have a responsible operator; notes do not)."""

    @property
    def contact_id(self) -> str | None: ...
    @property
    def company_id(self) -> str | None: ...


def owner_of(record: Owned) -> tuple[Literal["contact", "company"], str] | None:
    """The relation that decides who sees ``record``: its contact, else its company."""
    if record.contact_id:
        return "contact", record.contact_id
    if record.company_id:
        return "company", record.company_id
    return None


def admits(audience: CrmAudience, record: Owned) -> bool:
    """Whether the audience sees ``record`` (the predicate twin of :func:`record_branches`)."""
    responsible = getattr(record, "responsible_id", None)
    if responsible is not None and responsible == audience.operator_id:
        return True
    owner = owner_of(record)
    if owner is None:
        return False
    kind, owner_id = owner
    return owner_id in (audience.contact_ids if kind == "contact" else audience.company_ids)


def in_chunks(field: str, values: Sequence[str]) -> list[dict[str, Any]]:
    """``{field: {"$in": ...}}`` filters of at most :data:`IN_CHUNK` values each."""
    values = list(values)
    return [{field: {"$in": values[i : i + IN_CHUNK]}} for i in range(0, len(values), IN_CHUNK)]


def record_branches(audience: CrmAudience) -> list[dict[str, Any]]:
    """:func:`admits` as MongoDB filters, any of which admits a record."""
    return [
        {"responsible_id": audience.operator_id},
        *in_chunks("contact_id", audience.contact_ids),
        *({"contact_id": None, **b} for b in in_chunks("company_id", audience.company_ids)),
    ]
