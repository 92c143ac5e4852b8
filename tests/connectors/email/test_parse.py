"""Our recorded mails through the parser: one line of expected output each."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.email.charset import decode_bytes
from connectors.email.mime import Limits
from connectors.email.parse import MailContext, fallback_event, parse_mail, to_event
from connectors.email.quotes import split_reply
from connectors.email.threads import make_message_id, read_token, reply_subject, subject_key
from inbox.domain.inbound import Ignored, InboundMessage, StatusUpdate

FIXTURES = Path(__file__).parent / "fixtures"
CTX = MailContext(address="support@shop.example", token_key="line-secret")

# fixture, visible text, subject shown, first attachment (name, stored?)
CASES = [
    ("gmail_reply_uk", "Дякую, отримала!", "Замовлення №1029", None),
    ("outlook_reply_ru_cp1251", "Спасибо, всё пришло.\n\nС уважением,\nИван", "Заказ A-1029", None),
    ("bottom_posted_ru", "Завтра после обеда.", "Доставка", None),
    ("koi8u_plain", "Добрий день! Коли буде доставка? Їжак і ґудзик.", "Питання щодо доставки", None),  # noqa: E501 - one line per case
    ("mislabelled_latin1_is_cp1251", "Здравствуйте, хочу вернуть товар, он мне не подошёл по размеру.", "test", None),  # noqa: E501 - one line per case
    ("no_charset_koi8r", "Добрый вечер, подскажите пожалуйста сроки доставки в Харьков.", "vopros", None),  # noqa: E501 - one line per case
    ("forward_rfc822", "Please see the invoice below, is it right?", "Fwd: Invoice 77", ("Invoice 77.eml", True)),  # noqa: E501 - one line per case
    ("attachments_inline", "The box is damaged, see the photo.", "Photo of the parcel", ("рахунок.pdf", True)),  # noqa: E501 - one line per case
    ("broken_mime", "Hello, the body survives.", "�� broken", ("a.bin", True)),
    ("html_only_script", "Hello click ok", "html only", None),
    ("no_message_id", "A mail without a Message-ID is stored, keyed by a hash of its bytes.", "no id", None),  # noqa: E501 - one line per case
]  # fmt: skip


def _event(name: str, limits: Limits | None = None) -> InboundMessage:
    parsed = parse_mail((FIXTURES / f"{name}.eml").read_bytes(), limits)
    stored = {i: f"file{i}" for i, f in enumerate(parsed.files) if f.data is not None}
    event = to_event(parsed, CTX, stored, lambda fid: f"/api/files/{fid}")
    assert isinstance(event, InboundMessage)
    return event


@pytest.mark.parametrize(
    ("name", "text", "subject", "attachment"), CASES, ids=[c[0] for c in CASES]
)
def test_fixture(name: str, text: str, subject: str, attachment: tuple[str, bool] | None) -> None:
    event = _event(name)
    assert (event.text, event.subject) == (text, subject)
    if attachment is None:
        assert event.attachments == ()
    else:
        named = [(a.name, a.file_id is not None) for a in event.attachments if a.name]
        assert named[0] == attachment


def test_quoted_part_is_kept_not_lost() -> None:
    event = _event("gmail_reply_uk")
    assert event.mail is not None
    assert event.mail.quoted is not None
    assert "Номер ТТН 20450012345678" in event.mail.quoted
    assert event.thread is not None
    assert event.thread.references == ("parent-1@shop.example", "root-1@example.net")


def test_html_is_sanitized_and_remote_images_held_back() -> None:
    event = _event("attachments_inline")
    assert event.mail is not None
    assert event.mail.html is not None
    html = event.mail.html
    assert "<script" not in html
    assert "onclick" not in html
    assert 'src="/api/files/file0"' in html  # the inline image, from our store
    assert 'data-remote-src="https://tracker.example/pixel.gif"' in html
    assert ' src="https://tracker.example' not in html
    assert event.mail.remote_images is True


def test_html_only_mail_drops_scripts_iframes_and_javascript_links() -> None:
    event = _event("html_only_script")
    assert event.mail is not None
    assert event.mail.html is not None
    for bad in ("<script", "<iframe", "javascript:", "<style"):
        assert bad not in event.mail.html
    assert event.mail.quoted == "old quoted text"


def test_forward_starts_a_new_thread() -> None:
    event = _event("forward_rfc822")
    assert event.thread is not None
    assert event.thread.subject_key is None


def test_no_message_id_gets_a_stable_hash_key() -> None:
    raw = (FIXTURES / "no_message_id.eml").read_bytes()
    key = parse_mail(raw).key
    assert key.startswith("raw-sha256:")
    assert parse_mail(raw.replace(b"\r\n", b"\n")).key == key  # IMAP's CRLF changes nothing


def test_attachment_over_the_limit_keeps_metadata_only() -> None:
    event = _event("attachments_inline", Limits(max_attachment_bytes=10))
    pdf = next(a for a in event.attachments if a.mime_type == "application/pdf")
    assert pdf.file_id is None
    assert pdf.title is not None
    assert "not kept" in pdf.title


def test_own_mail_and_other_hub_lines_are_ignored() -> None:
    raw = b"From: support@shop.example\r\nMessage-ID: <x@y>\r\n\r\nhi\r\n"
    assert isinstance(to_event(parse_mail(raw), CTX), Ignored)
    other = b"From: sales@shop.example\r\nMessage-ID: <x2@y>\r\n\r\nhi\r\n"
    ctx = MailContext(CTX.address, CTX.token_key, frozenset({"sales@shop.example"}))
    assert isinstance(to_event(parse_mail(other), ctx), Ignored)


def test_bounce_marks_our_message_failed_with_the_reason() -> None:
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        b"To: support@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r1"\r\n\r\n'
        b"--r1\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        b"--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        b"--r1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <m1.c1@shop.example>\r\nSubject: Re: your question\r\n--r1--\r\n"
    )
    event = to_event(parse_mail(raw), CTX)
    assert isinstance(event, StatusUpdate)
    assert event.external_id == "m1.c1@shop.example"
    assert event.error is not None
    assert "550 5.1.1 user unknown" in event.error


def test_reply_token_round_trip_and_forgery() -> None:
    mid = make_message_id("a" * 24, "b" * 24, "line-secret", "shop.example")
    assert read_token(mid, "line-secret") == ("a" * 24, "b" * 24)
    assert read_token(mid, "another-secret") is None
    forged = mid.replace("b" * 24, "c" * 24)
    assert read_token(forged, "line-secret") is None


@pytest.mark.parametrize(
    ("subject", "key", "reply"),
    [
        ("Re: RE: Order 5", "order 5", "Re: Order 5"),
        ("Відповідь: Замовлення", "замовлення", "Re: Замовлення"),
        ("Ответ: Заказ", "заказ", "Re: Заказ"),
        ("AW: Bestellung", "bestellung", "Re: Bestellung"),
        ("Fwd: Order 5", None, "Re: Fwd: Order 5"),
        ("", None, "Re: your message"),
    ],
)
def test_subjects(subject: str, key: str | None, reply: str) -> None:
    assert subject_key(subject) == key
    assert reply_subject(subject) == reply


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Дякую!\n\n4 груд. 2026 р. о 10:00 Shop написав(ла):\n> old", "Дякую!"),
        ("Спасибо!\n\n4 дек. 2026 г., в 10:00, Shop писал(а):\n> old", "Спасибо!"),
        ("Ок\n\nВід: Shop <s@shop.example>\nНадіслано: 4 грудня\nКому: me\nТема: x\n\nold", "Ок"),
        (
            "Thanks, the tracking works now.\n\nOn Thu, 1 Jan 2026, Shop wrote:\n> x",
            "Thanks, the tracking works now.",
        ),
        ("Fine\n\n-- \nIvan Petrenko\n+380 67 123 4567", "Fine"),
    ],
)
def test_split_reply(text: str, visible: str) -> None:
    assert split_reply(text)[0] == visible


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("Привіт, як справи у вас сьогодні?".encode("cp1251"), None),
        ("Привіт, як справи у вас сьогодні?".encode("koi8_u"), "koi8-r"),
        ("Привет, как дела у тебя сегодня?".encode("cp1251"), "us-ascii"),
        ("Привет, как дела у тебя сегодня?".encode(), "windows-1251"),
        ("Привет, как дела у тебя сегодня?".encode("koi8_r"), "windows-1251"),
    ],
)
def test_cyrillic_charsets_and_mislabels(data: bytes, label: str | None) -> None:
    assert decode_bytes(data, label) in (
        "Привіт, як справи у вас сьогодні?",
        "Привет, как дела у тебя сегодня?",
    )


def test_a_mail_that_breaks_the_parser_keeps_its_sender_and_subject() -> None:
    raw = b"From: Ann <ann@example.com>\r\nSubject: Help\r\nMessage-ID: <x1@example.com>\r\n\r\n?"
    event = fallback_event(raw)
    assert isinstance(event, InboundMessage)
    assert (event.external_id, event.email, event.subject) == (
        "x1@example.com",
        "ann@example.com",
        "Help",
    )
    assert isinstance(fallback_event(b"\xff\xfe not a mail"), Ignored)


def test_bounds_hold_for_huge_text_and_many_files() -> None:
    body = "word " * 40_000
    raw = f"From: a@example.com\r\nMessage-ID: <big@example.com>\r\n\r\n{body}".encode()
    event = to_event(parse_mail(raw), CTX)
    assert isinstance(event, InboundMessage)
    assert event.text is not None
    assert len(event.text) == 65_536
    assert event.mail is not None
    assert event.mail.quoted is not None
    parts = "".join(
        f'--b\r\nContent-Type: application/octet-stream; name="f{i}.bin"\r\n\r\nx\r\n'
        for i in range(100)
    )
    many = (
        "From: a@example.com\r\nMessage-ID: <many@example.com>\r\nContent-Type: multipart/mixed; "
        f'boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee\r\n{parts}--b--\r\n'
    ).encode()
    event = to_event(parse_mail(many), CTX)
    assert isinstance(event, InboundMessage)
    assert len(event.attachments) == 20
