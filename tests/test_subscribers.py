from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from gateway.core import audit
from gateway.core.models import Consent, Subscriber
from gateway.core.phone import InvalidNumber
from gateway.subscribers.service import SubscriberError, Subscribers

A, B, C = "+447700900101", "+447700900102", "+447700900103"


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list("Docking farms", "docking")
    s.add_list("West Norfolk gamekeepers", "WNKEEPERS")
    return s


def consents(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Consent.action, Consent.method, Consent.by).order_by(Consent.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_list_keyword_is_upper_case_and_unique(subs: Subscribers) -> None:
    assert subs.find_list("Docking").keyword == "DOCKING"  # type: ignore[union-attr]
    with pytest.raises(SubscriberError, match="exists already"):
        subs.add_list("Another", "DOCKING")
    with pytest.raises(SubscriberError, match="2-20 letters"):
        subs.add_list("Bad", "no spaces")


@pytest.mark.parametrize(
    "word",
    [
        *("STOP", "start", "HELP", "LISTS", "Join", "QUIET", "ACK", "CLOSE", "RELAY"),
        *("PATROL", "SUBSCRIBE", "UNSUBSCRIBE", "END", "CANCEL", "QUIT", "opt-out", "INFO"),
        "ALL",
    ],
)
def test_a_word_the_gateway_obeys_cannot_be_a_list_keyword(subs: Subscribers, word: str) -> None:
    with pytest.raises(SubscriberError, match="a word the gateway obeys by SMS"):
        subs.add_list(f"The {word} list", word)
    assert [x.keyword for x in subs.lists()] == ["DOCKING", "WNKEEPERS"]


def test_joining_records_consent_with_how_and_who(subs: Subscribers, engine: Engine) -> None:
    subs.join("07700 900101", "DOCKING", name="Tom", method="sms")
    subs.join(B, "docking farms", method="officer", by="pc.smith")
    assert consents(engine) == [("join", "sms", ""), ("join", "officer", "pc.smith")]
    assert [x.members for x in subs.lists() if x.keyword == "DOCKING"] == [2]


def test_an_impossible_number_cannot_join(subs: Subscribers) -> None:
    with pytest.raises(InvalidNumber):
        subs.join("0770", "DOCKING")


def test_recipients_follow_list_order_key_contacts_first_each_number_once(
    subs: Subscribers,
) -> None:
    subs.join(A, "WNKEEPERS")
    subs.join(B, "DOCKING")
    subs.join(C, "DOCKING", key_contact=True)
    subs.join(A, "DOCKING")
    docking = subs.require_list("DOCKING").id
    keepers = subs.require_list("WNKEEPERS").id
    assert [r.phone for r in subs.recipients([docking, keepers])] == [C, B, A]
    assert [r.phone for r in subs.recipients([keepers, docking])] == [A, C, B]


def test_a_global_stop_removes_from_every_list_and_start_undoes_it(subs: Subscribers) -> None:
    subs.join(A, "DOCKING")
    subs.join(A, "WNKEEPERS")
    lists = [x.id for x in subs.lists()]
    subs.set_stopped(A, True)
    assert subs.recipients(lists) == []
    assert not subs.may_receive(A, lists[0])
    subs.set_stopped(A, False)
    assert len(subs.recipients(lists)) == 1 and subs.may_receive(A, lists[0])


def test_stop_for_one_list_keeps_the_others(subs: Subscribers, engine: Engine) -> None:
    subs.join(A, "DOCKING")
    subs.join(A, "WNKEEPERS")
    subs.leave(A, "DOCKING")
    docking, keepers = subs.require_list("DOCKING").id, subs.require_list("WNKEEPERS").id
    assert not subs.may_receive(A, docking) and subs.may_receive(A, keepers)
    assert ("leave", "sms", "") in consents(engine)


def test_erase_removes_personal_data_and_keeps_the_dated_trail(
    subs: Subscribers, engine: Engine
) -> None:
    subs.join(A, "DOCKING", name="Tom Smith")
    assert subs.erase(A, by="admin1")
    with engine.connect() as conn:
        row = conn.execute(select(Subscriber.phone, Subscriber.name, Subscriber.erased_at)).one()
    assert row.phone is None and row.name == "" and row.erased_at is not None
    assert consents(engine)[-1] == ("erase", "officer", "admin1")
    [entry] = audit.entries(engine, action="subscriber-erased")
    assert entry.actor == "admin1" and A not in entry.detail
    assert subs.recipients([subs.require_list("DOCKING").id]) == []
    assert not subs.erase(A, by="admin1")  # nothing left to erase
    subs.join(A, "DOCKING")  # the same person may join again, as someone new
    assert subs.count() == 1


def test_a_key_contact_can_be_marked_later(subs: Subscribers) -> None:
    subs.join(A, "DOCKING")
    subs.join(B, "DOCKING")
    subs.set_key_contact(B, "DOCKING", True, by="pc.smith")
    assert [r.phone for r in subs.recipients([subs.require_list("DOCKING").id])] == [B, A]
    with pytest.raises(SubscriberError, match="is not on"):
        subs.set_key_contact(C, "DOCKING", True, by="pc.smith")
