"""The bounds every connector's output gets from the normalized model itself.

Instagram and email connectors (and any later one) build the same ``InboundMessage``:
these tests hold the model to its ceilings whatever a connector passes in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from inbox.domain.inbound import ContactUpdate, Ignored, InboundMessage, StatusUpdate
from inbox.domain.limits import MARK, TEXT_MAX, normalize_phone
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus


def message(**kw: object) -> InboundMessage:
    return InboundMessage.model_validate({"external_id": "m-1", "external_user_id": "u-1", **kw})


def test_text_is_cut_with_a_marker_and_surrogates_replaced() -> None:
    m = message(text="a" * (TEXT_MAX + 10), user_name="Ann \udc00", subject="s" * 5000)
    assert m.text is not None
    assert len(m.text) == TEXT_MAX
    assert m.text.endswith(MARK)
    assert m.user_name == "Ann \ufffd"
    assert m.subject is not None
    assert len(m.subject) == 998


@pytest.mark.parametrize("bad", ["", "   ", "x" * 257])
def test_ids_are_refused_when_empty_blank_or_too_long(bad: str) -> None:
    for field in ("external_id", "external_user_id"):
        with pytest.raises(ValidationError):
            message(**{field: bad})
    with pytest.raises(ValidationError):
        ContactUpdate(external_user_id=bad)
    with pytest.raises(ValidationError):
        StatusUpdate(external_id=bad, status=DeliveryStatus.READ)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("+380 (50) 123-45-67", "+380501234567"),
        ("0501234567", "0501234567"),
        ("+" + "7" * 5002, None),
        ("1" * 16, None),
        ("12", None),
        ("call me", None),
        ("+３８０５０", None),  # full-width digits are not E.164
    ],
)
def test_phones_are_e164_digits_or_nothing(raw: str, kept: str | None) -> None:
    assert normalize_phone(raw) == kept
    assert message(phone=raw).phone == kept
    assert Attachment(kind=AttachmentKind.CONTACT, phone=raw).phone == kept


def test_sizes_and_coordinates() -> None:
    for size in (2**53 + 1, 2**63, 2**64, -1, True, "x"):
        assert Attachment(kind=AttachmentKind.DOCUMENT, size=size).size is None
    assert Attachment(kind=AttachmentKind.DOCUMENT, size="123").size == 123
    # Off the globe is unknown, not a refusal: the customer's message is kept without it
    # (Viber's own SDK sample sends lat 1234, lon 4312).
    for lat in (91.0, 1234, -90.5, float("inf"), float("nan"), 10**400, True, "12"):
        located = Attachment(kind=AttachmentKind.LOCATION, latitude=lat, longitude=4312)
        assert (located.latitude, located.longitude) == (None, None)
    at = Attachment(kind=AttachmentKind.LOCATION, latitude=50.45, longitude=-180)
    assert (at.latitude, at.longitude) == (50.45, -180.0)


def test_long_urls_and_mime_types_are_dropped_not_cut() -> None:
    a = Attachment(kind=AttachmentKind.IMAGE, url="https://x/" + "a" * 5000, mime_type="m" * 300)
    assert a.url is None
    assert a.mime_type is None


def test_attachments_beyond_the_count_are_dropped() -> None:
    many = [Attachment(kind=AttachmentKind.LINK, url=f"https://x/{i}") for i in range(80)]
    assert len(message(attachments=many).attachments) == 50


def test_dates_are_utc_and_within_a_sane_range() -> None:
    plus14 = timezone(timedelta(hours=14))
    assert message(sent_at=datetime(1, 1, 1, tzinfo=plus14)).sent_at is None
    assert (
        message(sent_at=datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=14)))).sent_at
        is None
    )
    assert message(sent_at=datetime(1970, 1, 1, tzinfo=UTC)).sent_at is None
    naive = message(sent_at=datetime(2026, 1, 5, 9)).sent_at
    assert naive == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert message(edited_at=datetime(2026, 1, 5, 9, tzinfo=plus14)).edited_at == datetime(
        2026, 1, 4, 19, tzinfo=UTC
    )


def test_fit_applies_the_platform_limits() -> None:
    long = message(text="t" * 5000, user_name="n" * 300, username="u" * 40)
    tg = long.fit("telegram")
    assert tg.text is not None
    assert len(tg.text) == 4096
    assert len(tg.user_name) == 129
    assert tg.username is None
    caption = message(text="t" * 5000, attachments=[Attachment(kind=AttachmentKind.IMAGE)])
    assert len(caption.fit("telegram").text or "") == 1024
    assert len(long.fit("viber").text or "") == 5000
    assert long.fit("email") is long  # no platform limit below the ceiling


def test_ignored_kind_and_reasons_are_bounded() -> None:
    ignored = Ignored(reason="r" * 5000, kind="k" * 500)
    assert len(ignored.reason) == 1024
    assert ignored.kind is not None
    assert len(ignored.kind) == 64
