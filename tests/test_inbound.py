from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pin_search import pins_behind_digests
from sqlalchemy import Engine, func, select

from gateway.core.config import InboundConfig
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage, InboundPart
from gateway.inbox.store import Inbox, IncomingPart

SENDER = "+447700900201"
T0 = datetime(2026, 11, 21, 23, 15, 4, tzinfo=UTC)


def inbox(engine: Engine) -> Inbox:
    return Inbox(engine, InboundConfig(partial_timeout=60))


def test_a_single_part_message_is_stored_at_once(engine: Engine) -> None:
    done = inbox(engine).store("m1", IncomingPart(SENDER, T0, "hare coursers at Docking"))
    assert [(m.sender, m.text, m.complete) for m in done] == [
        (SENDER, "hare coursers at Docking", True)
    ]


def test_the_same_sms_read_twice_is_stored_once(engine: Engine) -> None:
    box = inbox(engine)
    part = IncomingPart(SENDER, T0, "white van, no lights")
    assert len(box.store("m1", part)) == 1
    assert box.store("m1", part) == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_two_different_texts_in_the_same_second_are_both_kept(engine: Engine) -> None:
    box = inbox(engine)
    box.store("m1", IncomingPart(SENDER, T0, "first"))
    box.store("m1", IncomingPart(SENDER, T0, "second"))
    assert [m.text for m in box.recent()] == ["second", "first"]


def test_parts_out_of_order_are_joined_in_order(engine: Engine) -> None:
    box = inbox(engine)
    texts = {1: "Silver Subaru ", 2: "KX19 ABC heading ", 3: "to Docking"}
    assert box.store("m1", IncomingPart(SENDER, T0, texts[3], 77, 3, 3)) == []
    assert box.store("m1", IncomingPart(SENDER, T0, texts[1], 77, 1, 3)) == []
    done = box.store("m1", IncomingPart(SENDER, T0 + timedelta(seconds=2), texts[2], 77, 2, 3))
    assert [(m.text, m.complete, m.parts) for m in done] == [
        ("Silver Subaru KX19 ABC heading to Docking", True, 3)
    ]


def test_a_duplicated_part_does_not_complete_a_set(engine: Engine) -> None:
    box = inbox(engine)
    box.store("m1", IncomingPart(SENDER, T0, "a", 5, 1, 2))
    assert box.store("m1", IncomingPart(SENDER, T0, "a", 5, 1, 2)) == []
    assert box.recent() == []


def test_an_incomplete_set_is_stored_as_partial_after_the_timeout(engine: Engine) -> None:
    box = inbox(engine)
    box.store("m1", IncomingPart(SENDER, T0, "start ", 9, 1, 3))
    box.store("m1", IncomingPart(SENDER, T0, " end", 9, 3, 3))
    assert box.flush_partials(now=utcnow()) == []  # not overdue yet
    done = box.flush_partials(now=utcnow() + timedelta(seconds=61))
    assert [(m.text, m.complete) for m in done] == [("start [part 2 of 3 missing] end", False)]
    # the late part completes the stored message instead of starting a new one
    late = box.store("m1", IncomingPart(SENDER, T0, "middle", 9, 2, 3))
    assert [(m.id, m.text, m.complete) for m in late] == [(done[0].id, "start middle end", True)]
    assert len(box.recent()) == 1


def test_parts_of_different_senders_are_not_mixed(engine: Engine) -> None:
    box = inbox(engine)
    other = "+447700900202"
    box.store("m1", IncomingPart(SENDER, T0, "A1", 1, 1, 2))
    box.store("m1", IncomingPart(other, T0, "B2", 1, 2, 2))
    assert box.recent() == []
    done = box.store("m1", IncomingPart(other, T0, "B1", 1, 1, 2))
    assert [(m.sender, m.text) for m in done] == [(other, "B1B2")]


def test_an_undecodable_pdu_is_kept(engine: Engine) -> None:
    box = inbox(engine)
    box.store_undecodable("m1", "07911326", "truncated")
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(InboundMessage)).scalar()
        kept = conn.exec_driver_sql("select pdu, error from undecodable_pdus").all()
    assert rows == 0 and [tuple(r) for r in kept] == [("07911326", "truncated")]


def stored_texts(engine: Engine) -> tuple[list[str], list[tuple[str, str | None, str]]]:
    """The messages' texts, and each part's (text, raw PDU, digest), in id order."""
    with engine.connect() as conn:
        texts = list(conn.scalars(select(InboundMessage.text).order_by(InboundMessage.id)))
        parts = conn.execute(
            select(InboundPart.text, InboundPart.pdu, InboundPart.digest).order_by(InboundPart.id)
        ).all()
    return texts, [tuple(p) for p in parts]  # type: ignore[misc]


def test_an_officers_pin_is_stored_redacted_and_handed_on_in_memory_only(engine: Engine) -> None:
    box = inbox(engine)
    command = IncomingPart(SENDER, T0, "RELAY S1001 DOCKING 4821.")
    [msg] = box.store("m1", command)
    assert (msg.text, msg.pin) == ("RELAY S1001 DOCKING ****.", "4821")
    texts, [(text, pdu, _)] = stored_texts(engine)
    assert (texts, text, pdu) == (["RELAY S1001 DOCKING ****."], "RELAY S1001 DOCKING ****.", None)
    assert pins_behind_digests(engine) == set()  # no hash of the PIN's text either
    assert box.recent()[0].pin == ""  # routed again from the database: no PIN to be had
    assert box.store("m1", command) == []  # read again: still recognised


def test_the_raw_pdu_of_a_text_with_a_pin_is_not_kept(engine: Engine) -> None:
    box = inbox(engine)
    odd = SENDER + "\x00"  # an altered sender: its raw PDU would normally be kept
    [msg] = box.store("m1", IncomingPart(odd, T0, "CLOSE S1001 4821"), pdu="0011AB4821")
    assert msg.text == "CLOSE S1001 ****" and msg.pin == "4821"
    texts, [(text, pdu, _)] = stored_texts(engine)
    assert (texts, text, pdu) == (["CLOSE S1001 ****"], "CLOSE S1001 ****", None)
    assert (
        box.recent()[0].note == "sender altered to be stored (raw PDU not kept: it carried a PIN)"
    )


def test_a_command_padded_into_two_parts_is_redacted_in_both(engine: Engine) -> None:
    box = inbox(engine)
    box.store("m1", IncomingPart(SENDER, T0, "RELAY S1001" + " " * 150, 4, 1, 2))
    [msg] = box.store("m1", IncomingPart(SENDER, T0, "DOCKING 4821", 4, 2, 2))
    assert msg.pin == "4821" and msg.text.endswith("DOCKING ****")
    texts, parts = stored_texts(engine)
    assert texts == [msg.text] and [p[0] for p in parts] == [msg.text, ""]
    assert pins_behind_digests(engine, ["DOCKING ****", " DOCKING ****"]) == set()


def test_a_report_with_a_pin_in_two_parts_keeps_it_in_neither(engine: Engine) -> None:
    """Words after the PIN make a report, its numbers masked: the parts' text, digests and
    raw PDUs are rewritten like a command's, and a second read of a part stays one."""
    box = inbox(engine)
    odd = SENDER + "\x00"  # an altered sender: raw PDUs would be kept
    box.store("m1", IncomingPart(odd, T0, "RELAY S1001 DOCKING" + " " * 140, 9, 1, 2), "07AA")
    last = IncomingPart(odd, T0, "4821 thx", 9, 2, 2)
    [msg] = box.store("m1", last, pdu="07AB4821")
    assert (msg.pin, msg.text) == ("", "RELAY S1001 DOCKING" + " " * 140 + "**** thx")
    texts, parts = stored_texts(engine)
    assert texts == [msg.text] and parts[0][:2] == (msg.text, None) and parts[1][:2] == ("", None)
    assert pins_behind_digests(engine, ["**** thx", " **** thx"]) == set()
    assert box.store("m1", last, pdu="07AB4821") == []  # read again off the SIM
    assert box.flush_partials(utcnow() + timedelta(hours=1)) == []
    assert stored_texts(engine) == (texts, parts)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("CLOSE S1001 4821 thanks", "CLOSE S1001 **** thanks"),
        ("close s1001 4821 done", "close s1001 **** done"),
        ("CLOSE: S1001 4821", "CLOSE: S1001 ****"),
        ("ACK S1001 4821 ta", "ACK S1001 **** ta"),
        ("Relay, S1001 DOCKING 4821", "Relay, S1001 DOCKING ****"),
        ("RELAY S1001 DOCKING 4821 thx", "RELAY S1001 DOCKING **** thx"),
        ("CLOSE 4821 thanks", "CLOSE **** thanks"),
        # RELAY in the wrong order is still an officer's, PIN and all.
        ("RELAY DOCKING S1001 4821", "RELAY DOCKING S1001 ****"),
        ("Relay to DOCKING S1001 4821", "Relay to DOCKING S1001 ****"),
        ("RELAY docking 4821 please", "RELAY docking **** please"),
    ],
)
def test_a_text_starting_with_an_officers_verb_keeps_no_number_that_could_be_the_pin(
    engine: Engine, text: str, stored: str
) -> None:
    odd = SENDER + "\x00"  # an altered sender: a raw PDU would be kept
    [msg] = inbox(engine).store("m1", IncomingPart(odd, T0, text), pdu="07AB4821")
    assert (msg.text, msg.pin) == (stored, "")
    texts, [(part, pdu, _)] = stored_texts(engine)
    assert (texts, part, pdu) == ([stored], stored, None)
    assert pins_behind_digests(engine) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Two men close to the farm gate, 1234",
        "4821",
        # A farmer's report that only starts with an officer's word keeps its numbers.
        "Close to the farm gate, 2 men, 1234",
        "Close to the wood at TF 8123 4012",
        "Ack, the van is back at TF 8123 4012",
    ],
)
def test_a_text_that_is_not_a_command_keeps_its_numbers(engine: Engine, text: str) -> None:
    [msg] = inbox(engine).store("m1", IncomingPart(SENDER, T0, text))
    assert (msg.text, msg.pin) == (text, "")


def test_a_report_starting_with_relay_keeps_no_number_that_could_be_the_pin(
    engine: Engine,
) -> None:
    text = "Relay S1001 DOCKING 4821 and tell Bob, KX19 ABC at Docking"
    [msg] = inbox(engine).store("m1", IncomingPart(SENDER, T0, text))
    assert (msg.text, msg.pin) == ("Relay S1001 DOCKING **** and tell Bob, KX19 ABC at Docking", "")
