"""Record lists narrowed to an audience: one query per branch (responsible, chunks of
contact and company ids), merged in sort order, limited, without duplicates; the list
filter and the in-memory predicate of :mod:`inbox.domain.crm_audience` agree."""

from __future__ import annotations

from datetime import timedelta

from inbox.domain.crm_audience import IN_CHUNK, admits
from inbox.domain.models import CrmAudience, Lead, LeadStatus
from inbox.wiring import Hub


async def test_lead_list_merges_branches_across_chunks_in_order(hub: Hub) -> None:
    leads = hub.crm_side.stores.leads
    start = hub.clock.now()

    async def lead(n: int, contact: str, **kw: object) -> Lead:
        at = start + timedelta(minutes=n)
        stored, _ = await leads.insert(
            Lead(
                title=f"lead {n}",
                contact_id=contact,
                conversation_ids=(f"conv-{n}",),
                created_at=at,
                updated_at=at,
                **kw,  # type: ignore[arg-type]
            )
        )
        return stored

    # Visible contacts sit on both sides of a chunk boundary of the audience's ids.
    filler = [f"nobody-{i}" for i in range(IN_CHUNK + 20)]
    contact_ids = ("c-first", *filler[: IN_CHUNK - 1], "c-second", *filler[IN_CHUNK:])
    l1 = await lead(1, "c-first")
    l2 = await lead(2, "c-second", status=LeadStatus.IN_PROGRESS)
    l3 = await lead(3, "c-hidden", responsible_id="me")  # mine: visible by responsibility
    # A company seen does not show its other people's leads (issue 18: a company is shared).
    l4 = await lead(4, "c-company", company_id="co-1")
    await lead(5, "c-hidden")  # someone else's customer
    l6 = await lead(6, "c-first", responsible_id="me")  # matches two branches: listed once
    audience = CrmAudience(operator_id="me", contact_ids=contact_ids, company_ids=("co-1",))

    listed = await leads.list(audience=audience)
    assert [x.id for x in listed] == [l6.id, l3.id, l2.id, l1.id]
    every = await leads.list()
    assert {x.id for x in every if admits(audience, x)} == {x.id for x in listed}
    assert l4.id in {x.id for x in every}
    assert [x.id for x in await leads.list(audience=audience, limit=2)] == [l6.id, l3.id]
    # Other filters still apply within each branch.
    assert [x.id for x in await leads.list(audience=audience, status="in_progress")] == [l2.id]
    assert [x.id for x in await leads.list(audience=audience, responsible_id="me")] == [
        l6.id,
        l3.id,
    ]
    assert len(await leads.list()) == 6  # no audience: everything


async def test_companies_and_tasks_by_audience(hub: Hub) -> None:
    side = hub.crm_side
    globex = await side.sales.company_named("Globex")
    await side.sales.company_named("Initech")
    listed = await side.stores.companies.list(ids=[*(f"x{i}" for i in range(150)), globex.id])
    assert [c.name for c in listed] == ["Globex"]
    assert len(await side.stores.companies.list()) == 2

    due = hub.clock.now() + timedelta(hours=1)
    mine = await side.tasks.add(title="mine", due_at=due, responsible_id="me", created_by="me")
    theirs = await side.tasks.add(
        title="theirs",
        due_at=due + timedelta(hours=1),
        responsible_id="you",
        created_by="you",
        contact_id="c-1",
    )
    await side.tasks.add(title="hidden", due_at=due, responsible_id="you", created_by="you")
    on_company = await side.tasks.add(
        title="company's",
        due_at=due + timedelta(hours=2),
        responsible_id="you",
        created_by="you",
        company_id=globex.id,
    )
    other_person = await side.tasks.add(
        title="other person's",
        due_at=due,
        responsible_id="you",
        created_by="you",
        contact_id="c-2",
        company_id=globex.id,
    )
    audience = CrmAudience(operator_id="me", contact_ids=("c-1",), company_ids=(globex.id,))
    listed = await side.stores.tasks.list(audience=audience)
    assert [t.id for t in listed] == [mine.id, theirs.id, on_company.id]
    every = await side.stores.tasks.list()
    assert {t.id for t in every if admits(audience, t)} == {t.id for t in listed}
    assert other_person.id not in {t.id for t in listed}
    assert [
        t.id for t in await side.stores.tasks.list(responsible_id="you", audience=audience)
    ] == [theirs.id, on_company.id]
