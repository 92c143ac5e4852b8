"""Acceptance: every email item of ``../shared/corpus/email`` through parse and ingest.

Each ``.eml`` goes to a fresh email line through the same intake the IMAP poller uses;
its MANIFEST ``expected`` block says what an inbox should make of it (store a customer
message, store best effort, ignore an auto-reply, a bounce, list mail or a report), with
the auto-reply, bounce and list flags and, where given, the visible text after quote
stripping and the thread it belongs to. Every reply body of ``reply_bodies/`` is checked
against its expected visible text. ``DEVIATIONS`` names where the hub differs on purpose.

Run with ``make acceptance``. Without the corpus folder the run reports a skip saying so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from connectors.email.parse import parse_mail
from connectors.email.quotes import split_reply
from inbox.domain.inbound import Ignored, InboundMessage, StatusUpdate
from inbox.wiring import Hub
from tests.channels import count
from tests.connectors.email.mailkit import deliver, email_line

CORPUS = (
    Path(
        os.environ.get("INBOX_CORPUS")
        or Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    )
    / "email"
)

DEVIATIONS = {
    "talon_reply_iphone.eml": "'Sent from my iPhone' is cut as a signature (GitHub's reply "
    "suite expects that; talon keeps it): the visible text is 'Hello', the rest is kept",
    "talon_reply_sparrow.eml": "the RFC 3676 signature ('-- ') is cut from the view and kept",
}
SIGNATURE_CUT = {"talon_reply_iphone.eml": "Hello", "talon_reply_sparrow.eml": "Hello"}


def _manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {k: v for k, v in sorted(data.items()) if isinstance(v, dict) and "expected" in v}


ITEMS = _manifest(CORPUS / "MANIFEST.json")
BODIES = _manifest(CORPUS / "reply_bodies" / "MANIFEST.json")


def test_email_corpus_is_present() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent: no email item was checked")
    assert len(ITEMS) >= 58
    assert len(BODIES) >= 29


@pytest.mark.parametrize("name", list(ITEMS))
async def test_email_item(hub: Hub, name: str) -> None:
    expected = ITEMS[name]["expected"]
    raw = (CORPUS / name).read_bytes()
    verdict = parse_mail(raw).verdict
    assert (verdict.kind == "auto") == expected["is_auto_reply"]
    assert (verdict.kind == "bounce") == expected["is_bounce"]
    assert (verdict.kind == "list") == expected["is_list_mail"]
    line = await email_line(hub)
    event = await deliver(hub, line, raw)
    disposition = expected["disposition"]
    stored = await count(hub, "messages")
    if disposition == "store_customer_message":
        assert isinstance(event, InboundMessage)
        message = await hub.messages.get_by_external(line.id, event.external_id)
        assert message is not None
        assert message.mail is not None
        assert message.mail.automatic is None
        visible = expected.get("expected_visible_text")
        if visible is not None:
            want = SIGNATURE_CUT.get(name, visible)
            assert (message.text or "").strip() == want.strip()
    elif disposition.startswith("store_best_effort"):
        # Stored when it has a sender to answer; otherwise acknowledged and logged.
        if isinstance(event, InboundMessage):
            assert stored == 1
        else:
            assert isinstance(event, Ignored)
            assert stored == 0
    elif disposition.startswith("ignore_bounce"):
        assert isinstance(event, StatusUpdate | Ignored)
        assert stored == 0
    else:  # auto-replies, list mail, reports: never a customer message on a fresh line
        assert disposition.startswith(("ignore_auto_reply", "ignore_list_mail", "ignore_report"))
        assert stored == 0
        assert await count(hub, "conversations") == 0


THREAD_DEVIATION = (
    "thread1: John writes, Mary replies, John replies to Mary. Mary is another sender "
    "quoting John's thread: the issue requires that she does not join his conversation (a "
    "conversation has one customer), so she gets her own; John's two mails share one."
)


async def test_email_threads(hub: Hub) -> None:
    """Items whose ``threads_with`` names others thread together per sender, in any order
    (see THREAD_DEVIATION)."""
    groups = {
        tuple(sorted({name, *entry["expected"]["threads_with"]}))
        for name, entry in ITEMS.items()
        if entry["expected"].get("threads_with")
    }
    if not groups:
        pytest.skip("no threaded items in the corpus")
    for group in groups:
        for order in (list(group), list(reversed(group))):
            line = await email_line(hub)
            by_sender: dict[str, set[str]] = {}
            for name in order:
                event = await deliver(hub, line, (CORPUS / name).read_bytes())
                assert isinstance(event, InboundMessage)
                message = await hub.messages.get_by_external(line.id, event.external_id)
                assert message is not None
                by_sender.setdefault(event.external_user_id, set()).add(message.conversation_id)
            assert all(len(c) == 1 for c in by_sender.values()), f"{order}: {by_sender}"
            conversations = set().union(*by_sender.values())
            assert len(conversations) == len(by_sender), f"{order}: senders share one"


@pytest.mark.parametrize("name", list(BODIES))
def test_reply_body(name: str) -> None:
    expected = BODIES[name]["expected"].get("expected_visible_text")
    if expected is None:
        pytest.skip("no expected visible text")
    visible, _ = split_reply((CORPUS / "reply_bodies" / name).read_text())
    assert visible.strip() == expected.strip()
