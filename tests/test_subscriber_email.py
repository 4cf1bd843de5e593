"""Email as a subscriber's choice: the address, the channel, who is emailed, and the email
channel's own STOP, against a real migrated SQLite file."""

from __future__ import annotations

import pytest
from drama import mobile
from sqlalchemy import Engine, select

from gateway.core import audit
from gateway.core.models import Consent, Subscriber
from gateway.subscribers.emails import InvalidChannel, InvalidEmail, clean_email, mask_email
from gateway.subscribers.service import SubscriberError, Subscribers

A, B, C, D = mobile(101), mobile(102), mobile(103), mobile(104)


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list("Docking farms", "DOCKING")
    s.add_list("West Norfolk gamekeepers", "WNKEEPERS")
    return s


def row(engine: Engine, phone: str) -> tuple[str | None, str, bool, str | None]:
    with engine.connect() as conn:
        r = conn.execute(
            select(
                Subscriber.email, Subscriber.channel, Subscriber.email_stopped,
                Subscriber.email_token,
            ).where(Subscriber.phone == phone)
        ).one()  # fmt: skip
    return r.email, r.channel, r.email_stopped, r.email_token


def token(engine: Engine, phone: str) -> str:
    found = row(engine, phone)[3]
    assert found
    return found


# -- the address -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Ann.Bell@Example.ORG ", "ann.bell@example.org"),
        ("o'neill+alerts@farm.co.uk", "o'neill+alerts@farm.co.uk"),
        ("siân@bücher.example", None),  # a non-ASCII local part: refused below
        ("keeper@bücher.example", "keeper@xn--bcher-kva.example"),
    ],
)
def test_an_address_is_kept_trimmed_lower_cased_and_ascii(typed: str, stored: str | None) -> None:
    if stored is None:
        with pytest.raises(InvalidEmail, match="the part before @ is not valid"):
            clean_email(typed)
    else:
        assert clean_email(typed) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "no email address given"),
        ("ann bell@example.org", "it contains a space"),
        ("ann@example.org\r\nBcc: eve@example.net", "cannot contain a line break"),
        ("ann@example.org\nBcc:eve@example.net", "cannot contain a line break"),
        ("ann@example.org,eve@example.net", "not one email address"),
        ("Ann<ann@example.org>", "not one email address"),
        ("ann@example.org;eve@example.net", "not one email address"),
        ("ann.example.org", "it needs one @"),
        ("ann@@example.org", "it needs one @"),
        ("ann@localhost", "the domain needs a dot"),
        ("ann@example..org", "domain is not valid"),
        ("ann@-example.org", "domain is not valid"),
        ("ann@example.o", "domain is not valid"),
        ("@example.org", "the part before @ is not valid"),
        ("ann..bell@example.org", "the part before @ is not valid"),
        ('"ann bell"@example.org', "it contains a space"),
        ("ann\x00@example.org", "control character"),
        ("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".org", "at most 254"),
        ("a" * 65 + "@example.org", "the part before @ is not valid"),
    ],
)
def test_an_address_that_is_not_one_clean_address_is_refused(typed: str, reason: str) -> None:
    with pytest.raises(InvalidEmail, match=reason):
        clean_email(typed)


def test_an_address_is_shown_masked() -> None:
    assert mask_email("ann.bell@example.org") == "a***@example.org"


def test_setting_an_address_gives_a_fresh_leave_token(subs: Subscribers, engine: Engine) -> None:
    subs.join(A, "DOCKING")
    assert row(engine, A) == (None, "sms", False, None)
    assert subs.set_email(A, "Ann@Example.org", channel="both") == ["email set", "channel both"]
    email, channel, stopped, first = row(engine, A)
    assert (email, channel, stopped) == ("ann@example.org", "both", False)
    assert first and len(first) >= 20
    assert subs.set_email(A, "ann@example.org") == []  # the same address: the link still works
    assert token(engine, A) == first
    assert subs.set_email(A, "ann.bell@example.org") == ["email changed"]
    assert token(engine, A) != first
    assert (
        subs.email_of(first) is None and subs.email_of(token(engine, A)) == "ann.bell@example.org"
    )


def test_email_or_both_needs_an_address(subs: Subscribers, engine: Engine) -> None:
    subs.join(A, "DOCKING")
    with pytest.raises(InvalidChannel, match="channel email needs an email address"):
        subs.set_email(A, None, channel="email")
    with pytest.raises(InvalidChannel, match="channel must be one of sms, email, both"):
        subs.set_email(A, "ann@example.org", channel="fax")
    assert row(engine, A) == (None, "sms", False, None)  # nothing written by a refusal
    subs.set_email(A, "ann@example.org", channel="email")
    with pytest.raises(InvalidChannel, match="by email: choose sms first"):
        subs.set_email(A, "")
    assert subs.set_email(A, "", channel="sms") == ["email removed", "channel sms"]
    assert row(engine, A) == (None, "sms", False, None)
    with pytest.raises(SubscriberError, match="is not a subscriber"):
        subs.set_email(B, "bob@example.org")


# -- who is emailed, who is texted -----------------------------------------------------------
def test_email_recipients_follow_the_sms_order_once_per_address(
    subs: Subscribers, engine: Engine
) -> None:
    docking = subs.require_list("DOCKING").id
    keepers = subs.require_list("WNKEEPERS").id
    for phone in (A, B, C, D):
        subs.join(phone, "DOCKING")
    subs.join(A, "WNKEEPERS")
    subs.set_key_contact(C, "DOCKING", True, by="pc")
    subs.set_email(A, "ann@example.org", channel="both")
    subs.set_email(B, "farm@example.org", channel="email")
    subs.set_email(C, "Farm@Example.org", channel="email")  # shares B's address
    subs.set_email(D, "dan@example.org", channel="sms")  # has an address, wants texts
    emailed = subs.email_recipients([docking, keepers])
    assert [(r.email, r.subscriber_id) for r in emailed] == [
        ("farm@example.org", row_id(engine, C)),  # key contact first, and the address once
        ("ann@example.org", row_id(engine, A)),
    ]
    assert emailed[0].key_contact and emailed[1].list_id == docking
    assert emailed[1].email_token == token(engine, A)
    assert [r.email for r in subs.email_recipients([keepers, docking])] == [
        "ann@example.org",
        "farm@example.org",
    ]
    # Texts leave out the email-only people: A (both) and D (sms) are texted.
    assert [r.phone for r in subs.recipients([docking])] == [A, D]


def row_id(engine: Engine, phone: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(Subscriber.id).where(Subscriber.phone == phone)) or 0)


def test_an_sms_stop_leaves_emails_on_and_an_email_stop_leaves_texts_on(
    subs: Subscribers, engine: Engine
) -> None:
    docking = subs.require_list("DOCKING").id
    subs.join(A, "DOCKING")
    subs.join(B, "DOCKING")
    subs.set_email(A, "ann@example.org", channel="both")
    subs.set_email(B, "bob@example.org", channel="both")
    subs.set_stopped(A, True)  # STOP texted by A
    assert [r.email for r in subs.email_recipients([docking])] == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert [r.phone for r in subs.recipients([docking])] == [B]
    assert subs.may_receive_email("ann@example.org", docking) and not subs.may_receive(A, docking)
    assert subs.stop_email(token(engine, B), "one-click")
    assert [r.email for r in subs.email_recipients([docking])] == ["ann@example.org"]
    assert [r.phone for r in subs.recipients([docking])] == [B]
    assert not subs.may_receive_email("BOB@example.org", docking) and subs.may_receive(B, docking)


def test_the_last_look_before_an_email_goes(subs: Subscribers) -> None:
    docking = subs.require_list("DOCKING").id
    keepers = subs.require_list("WNKEEPERS").id
    subs.join(A, "DOCKING")
    assert not subs.may_receive_email("ann@example.org", docking)  # no address yet
    subs.set_email(A, "ann@example.org", channel="email")
    assert subs.may_receive_email(" Ann@example.org", docking)
    assert not subs.may_receive_email("ann@example.org", keepers)  # not on that list
    assert not subs.may_receive(A, docking)  # a text queued before the switch is dropped
    subs.leave(A, "DOCKING")
    assert not subs.may_receive_email("ann@example.org", docking)


def test_stop_email_stops_the_address_records_consent_and_audits(
    subs: Subscribers, engine: Engine
) -> None:
    docking = subs.require_list("DOCKING").id
    subs.join(A, "DOCKING")
    subs.join(B, "DOCKING")
    subs.set_email(A, "farm@example.org", channel="email")
    subs.set_email(B, "farm@example.org", channel="both")  # the same household address
    assert not subs.stop_email("not-a-token", "leave-link")
    assert not subs.stop_email("", "leave-link")
    assert subs.stop_email(token(engine, A), "leave-link")
    assert subs.email_recipients([docking]) == []
    assert [r.phone for r in subs.recipients([docking])] == [B]  # B's texts go on
    with engine.connect() as conn:
        stops = conn.execute(
            select(Consent.subscriber_id, Consent.action, Consent.method, Consent.by)
            .add_columns(Consent.list_id)
            .where(Consent.action == "stop-email")
            .order_by(Consent.id)
        ).all()  # fmt: skip
    ids = sorted([row_id(engine, A), row_id(engine, B)])
    wanted = [(i, "stop-email", "email", "leave-link", None) for i in ids]
    assert [tuple(r) for r in stops] == wanted
    stopped = audit.entries(engine, action="email-stopped")
    assert sorted(e.detail for e in stopped) == [f"subscriber {i}" for i in ids]
    assert subs.stop_email(token(engine, A), "one-click")  # again: still stopped, no new record
    assert len(audit.entries(engine, action="email-stopped")) == 2
    subs.set_email(A, "ann@example.org")  # a new address: the STOP stays
    assert row(engine, A)[2] is True and subs.email_recipients([docking]) == []


def test_erase_removes_the_address_and_its_link(subs: Subscribers, engine: Engine) -> None:
    docking = subs.require_list("DOCKING").id
    subs.join(A, "DOCKING")
    subs.set_email(A, "ann@example.org", channel="both")
    link = token(engine, A)
    assert subs.erase(A, by="pc")
    with engine.connect() as conn:
        erased = conn.execute(
            select(Subscriber.email, Subscriber.email_token, Subscriber.phone).where(
                Subscriber.erased_at.is_not(None)
            )
        ).one()
    assert tuple(erased) == (None, None, None)
    assert subs.email_of(link) is None and not subs.stop_email(link, "leave-link")
    assert subs.email_recipients([docking]) == []
