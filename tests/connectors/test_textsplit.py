"""Splitting long replies: within the limit in UTF-16 units, at natural boundaries, lossless."""

from __future__ import annotations

import pytest

from connectors.textsplit import split_text, utf16_len


@pytest.mark.parametrize(
    ("text", "limit", "parts"),
    [
        ("short", 10, ["short"]),
        ("", 10, [""]),
        ("one two three", 8, ["one two ", "three"]),
        ("First line.\nSecond line", 16, ["First line.\n", "Second line"]),
        ("Para one.\n\nPara two is here", 20, ["Para one.\n\n", "Para two is here"]),
        ("Done. Next one", 10, ["Done. ", "Next one"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
    ],
)
def test_cuts_at_the_most_natural_boundary(text: str, limit: int, parts: list[str]) -> None:
    assert split_text(text, limit) == parts


def test_emoji_count_twice_and_are_never_cut_in_half() -> None:
    parts = split_text("😀" * 5, 4)
    assert parts == ["😀😀", "😀😀", "😀"]
    assert all(utf16_len(p) <= 4 for p in parts)


def test_a_combining_mark_stays_with_its_letter() -> None:
    parts = split_text("abce\u0301fg", 4)
    assert parts[0] == "abc"
    assert parts[1].startswith("e\u0301")


def test_long_cyrillic_text_splits_within_4096_and_joins_back() -> None:
    text = "\n\n".join("Абзац " + "слово, " * 400 for _ in range(5))
    parts = split_text(text, 4096)
    assert len(parts) > 1
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "".join(parts) == text
