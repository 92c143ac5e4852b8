"""Threading and noise guards through the real ingest and store (issue 13)."""

from __future__ import annotations

from connectors.email.config import EmailLineConfig
from connectors.email.threads import make_message_id
from inbox.domain.clock import FrozenClock
from inbox.domain.models import ConversationStatus, DeliveryStatus, Direction, Message
from inbox.wiring import Hub
from tests.channels import count
from tests.connectors.email.mailkit import deliver, email_line, mail, stored

ANN = "Ann <ann@example.com>"
BOB = "Bob <bob@example.com>"


async def _our_reply(hub: Hub, conversation_id: str, line_id: str) -> str:
    """An operator reply as the SMTP send records it: external id = our Message-ID."""
    line = await hub.lines.get(line_id)
    reply = await hub.replier.reply(conversation_id, None, "Your parcel left today.")
    config = EmailLineConfig.from_line(line)
    mid = make_message_id(
        reply.id, conversation_id, config.token_secret.get_secret_value(), config.domain
    )
    await hub.messages.mark_sent(reply.id, mid, hub.clock.now())
    return mid


async def test_reply_to_our_mail_lands_in_its_conversation_even_when_resolved(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "a1@example.com"))
    first = await stored(hub, line, "a1@example.com")
    ours = await _our_reply(hub, first.conversation_id, line.id)
    await hub.conversations.set_status(
        first.conversation_id, ConversationStatus.RESOLVED, hub.clock.now()
    )
    await deliver(hub, line, mail(ANN, "a2@example.com", "Re: Order A-1029", in_reply_to=ours))
    second = await stored(hub, line, "a2@example.com")
    assert second.conversation_id == first.conversation_id
    conversation = await hub.conversations.get(first.conversation_id)
    assert conversation.status is ConversationStatus.OPEN
    assert conversation.reopen_count == 1


async def test_reply_token_threads_when_the_sent_id_was_never_recorded(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "t1@example.com"))
    first = await stored(hub, line, "t1@example.com")
    config = EmailLineConfig.from_line(line)
    token = make_message_id(
        "f" * 24, first.conversation_id, config.token_secret.get_secret_value(), config.domain
    )
    await deliver(hub, line, mail(ANN, "t2@example.com", "Something else", in_reply_to=token))
    assert (await stored(hub, line, "t2@example.com")).conversation_id == first.conversation_id


async def test_another_sender_quoting_the_thread_gets_their_own(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "q1@example.com"))
    first = await stored(hub, line, "q1@example.com")
    ours = await _our_reply(hub, first.conversation_id, line.id)
    await deliver(
        hub,
        line,
        mail(BOB, "q2@example.com", "Re: Order A-1029", references=["q1@example.com", ours]),
    )
    bob = await stored(hub, line, "q2@example.com")
    assert bob.conversation_id != first.conversation_id


async def test_changed_subject_keeps_the_thread_and_shows_the_new_subject(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "s1@example.com", "Order A-1029"))
    first = await stored(hub, line, "s1@example.com")
    await deliver(
        hub,
        line,
        mail(ANN, "s2@example.com", "Re: Order A-1029 and a refund", in_reply_to="s1@example.com"),
    )
    assert (await stored(hub, line, "s2@example.com")).conversation_id == first.conversation_id
    conversation = await hub.conversations.get(first.conversation_id)
    assert conversation.subject == "Order A-1029 and a refund"


async def test_forward_starts_a_new_conversation_beside_the_open_one(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "f1@example.com", "Order A-1029"))
    await deliver(hub, line, mail(ANN, "f2@example.com", "Fwd: Order A-1029"))
    one = await stored(hub, line, "f1@example.com")
    two = await stored(hub, line, "f2@example.com")
    assert one.conversation_id != two.conversation_id
    both = [await hub.conversations.get(m.conversation_id) for m in (one, two)]
    assert {c.status for c in both} == {ConversationStatus.OPEN}


async def test_subject_fallback_within_the_window_only(hub: Hub, clock: FrozenClock) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "w1@example.com", "Invoice 5"))
    await deliver(hub, line, mail(ANN, "w2@example.com", "RE: invoice 5"))
    one = await stored(hub, line, "w1@example.com")
    assert (await stored(hub, line, "w2@example.com")).conversation_id == one.conversation_id
    clock.advance(days=30)
    await deliver(hub, line, mail(ANN, "w3@example.com", "Re: Invoice 5"))
    assert (await stored(hub, line, "w3@example.com")).conversation_id != one.conversation_id


async def test_different_subject_without_headers_is_a_new_conversation(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "d1@example.com", "Invoice 5"))
    await deliver(hub, line, mail(ANN, "d2@example.com", "Question about delivery"))
    one = await stored(hub, line, "d1@example.com")
    assert (await stored(hub, line, "d2@example.com")).conversation_id != one.conversation_id


async def test_auto_reply_is_stored_quietly_in_its_thread(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "o1@example.com"))
    first = await stored(hub, line, "o1@example.com")
    ours = await _our_reply(hub, first.conversation_id, line.id)
    before = await hub.conversations.get(first.conversation_id)
    auto = mail(
        ANN,
        "o2@example.com",
        "Automatic reply: Re: Order A-1029",
        "I am on vacation.",
        in_reply_to=ours,
        headers={"Auto-Submitted": "auto-replied"},
    )
    await deliver(hub, line, auto)
    message = await stored(hub, line, "o2@example.com")
    assert message.conversation_id == first.conversation_id
    assert message.mail is not None
    assert message.mail.automatic == "Auto-Submitted: auto-replied"
    after = await hub.conversations.get(first.conversation_id)
    assert after.unread_count == before.unread_count == 0
    assert after.last_customer_message_at == before.last_customer_message_at
    assert await hub.messages.hooks_done(message.id)


async def test_unthreaded_list_mail_opens_nothing(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "l1@example.com", headers={"List-Id": "<news.example>"}))
    assert (await count(hub, "messages"), await count(hub, "conversations")) == (0, 0)
    assert await count(hub, "contacts") == 0


async def test_bounce_marks_our_reply_failed_with_the_reason(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail(ANN, "b1@example.com"))
    first = await stored(hub, line, "b1@example.com")
    ours = await _our_reply(hub, first.conversation_id, line.id)
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        f"To: {line.settings['address']}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; ann@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n"
        f"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{ours}>\r\n--r--\r\n"
    ).encode()
    await deliver(hub, line, bounce)
    reply = await hub.messages.get_by_external(line.id, ours)
    assert reply is not None
    assert reply.status is DeliveryStatus.FAILED
    assert reply.error is not None
    assert "550 5.1.1 mailbox unavailable" in reply.error.reason
    assert await count(hub, "messages") == 2  # the bounce itself is not a customer message


async def test_redelivery_of_one_mail_stores_it_once(hub: Hub) -> None:
    line = await email_line(hub)
    raw = mail(ANN, "r1@example.com")
    for _ in range(3):
        await deliver(hub, line, raw)
    nomid = mail(ANN, None, "no id")
    await deliver(hub, line, nomid)
    await deliver(hub, line, nomid.replace(b"\r\n", b"\n"))
    assert await count(hub, "messages") == 2


async def test_our_own_mail_is_ignored(hub: Hub) -> None:
    line = await email_line(hub)
    await deliver(hub, line, mail("Shop <support@shop.example>", "own-1@shop.example"))
    assert await count(hub, "messages") == 0


async def test_customer_mail_keeps_text_subject_and_sender(hub: Hub) -> None:
    line = await email_line(hub)
    body = "Where is it?\r\n\r\nOn Thu, 3 Dec 2026, Shop <support@shop.example> wrote:\r\n> Soon"
    await deliver(
        hub, line, mail("Олена <olena@example.net>", "c1@example.net", "Re: Посилка", body)
    )
    message: Message = await stored(hub, line, "c1@example.net")
    assert (message.direction, message.text) == (Direction.IN, "Where is it?")
    assert message.mail is not None
    assert message.mail.quoted is not None
    assert "> Soon" in message.mail.quoted
    conversation = await hub.conversations.get(message.conversation_id)
    contact = await hub.contacts.get(conversation.contact_id)
    assert (conversation.subject, contact.name, contact.emails) == (
        "Посилка",
        "Олена",
        ("olena@example.net",),
    )
