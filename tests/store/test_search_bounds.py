"""The derived search fields of a contact stay small whatever phone it was given."""

from __future__ import annotations

from datetime import UTC, datetime

from inbox.domain.models import Contact
from inbox.store.contacts import contact_doc
from inbox.store.search import phone_suffixes

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_5002_digit_phone_gives_a_bounded_suffix_index() -> None:
    suffixes = phone_suffixes(["+" + "7" * 5002])
    assert 0 < len(suffixes) <= 12
    assert max(len(s) for s in suffixes) <= 15


def test_suffixes_of_a_normal_number_are_unchanged() -> None:
    assert phone_suffixes(["+38 050 123"]) == ["3805012 3".replace(" ", "")[i:] for i in range(5)]


def test_contact_doc_with_a_huge_phone_is_small() -> None:
    contact = Contact(name="x", phones=("1" * 5002,), created_at=NOW, updated_at=NOW)
    assert len(contact_doc(contact)["phone_suffixes"]) <= 12
