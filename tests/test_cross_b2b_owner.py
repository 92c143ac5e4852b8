"""Across plugins: a B2B customer of a company goes to the company's account owner.

The CRM side keeps companies and links contacts to them; the router reads the owner
through its ``AccountOwners`` port. The two plugins meet only in the stored data.
"""

from __future__ import annotations

from inbox.domain.clock import FrozenClock
from inbox.domain.models import Company, ConversationStatus, CrmRules, Presence
from inbox.wiring import Hub
from tests.routing.support import add_operator, customer_writes, routed_line


async def test_b2b_company_contact_goes_to_the_account_owner(hub: Hub, clock: FrozenClock) -> None:
    line = await routed_line(hub, sticky_minutes=5, sticky_owner=True, crm=CrmRules(b2b=True))
    ann = await add_operator(hub, "ann")
    owner = await add_operator(hub, "owner")
    await hub.router.set_presence(ann.id, Presence.ONLINE)
    first = await customer_writes(hub, line, "buyer")
    assert first.assignee_id == ann.id  # the owner is offline: ann served the first chat
    now = clock.now()
    company = await hub.crm_side.stores.companies.add(
        Company(name="Acme", owner_id=owner.id, created_at=now, updated_at=now)
    )
    await hub.crm_side.stores.crm_contacts.set_company(first.contact_id, company.id, now)
    await hub.conversations.set_status(first.id, ConversationStatus.RESOLVED, now)
    await hub.router.on_resolved(first.id)
    await hub.router.set_presence(owner.id, Presence.ONLINE)
    clock.advance(hours=25)  # past the reopen window: a new conversation
    again = await customer_writes(hub, line, "buyer")
    assert again.id != first.id
    assert again.assignee_id == owner.id  # the owner wins over the last operator (ann)
