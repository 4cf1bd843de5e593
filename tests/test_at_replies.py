"""Reading answers and URCs (hardware/at/replies.py, events.py): pure functions."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.at import replies
from hardware.at.events import event_for
from hardware.at.lines import Urc
from hardware.errors import GarbledReply

PDU = "07914477790000F0040C914477009001230000422160215043400541F45B0D02"


def test_the_message_reference_of_a_send() -> None:
    assert replies.message_reference(["+CMGS: 17"]) == 17
    assert replies.message_reference(["+CMGS: 200,0791447779"]) == 200


@pytest.mark.parametrize("answer", [[], ["+CMGS: x"], ["+CMGS:"], ["17"]])
def test_a_send_answer_without_a_reference_is_garbled(answer: list[str]) -> None:
    with pytest.raises(GarbledReply):
        replies.message_reference(answer)


def test_a_listing_pairs_headers_with_pdus_and_skips_broken_entries() -> None:
    lines = ["+CMGL: 0,1,,24", PDU.lower(), "+CMGL: 4,0,,24", "+CMGL: 5,0,,24", "not hex", PDU]
    stored = replies.listing([*lines, "+CMGL: 6,0,,24"])
    assert [(s.index, s.status, s.pdu) for s in stored] == [(0, 1, PDU)]


def test_a_listing_with_an_alpha_field_still_reads() -> None:
    (entry,) = replies.listing(['+CMGL: 3,0,"Warden",24', PDU])
    assert (entry.index, entry.status) == (3, 0)


@pytest.mark.parametrize("answer", [[], ["+CMGR: 0,,0"], ["+CMGR: 0,,0", ""], ["+CMGR: 1,,24"]])
def test_every_way_modems_show_an_empty_slot(answer: list[str]) -> None:
    assert replies.stored(7, answer) is None


def test_a_stored_message() -> None:
    entry = replies.stored(7, ["+CMGR: 1,,24", PDU])
    assert entry is not None and (entry.index, entry.status, entry.pdu) == (7, 1, PDU)


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("+CPIN: READY", "ready"),
        ("+CPIN: SIM PIN", "pin-required"),
        ("+CPIN: SIM PUK", "puk-required"),
        ('+CPIN: "SIM PIN"', "pin-required"),
        ("+CPIN: PH-SIM PIN", "sim-locked"),
        ("+CPIN: SIM PUK2", "puk-required"),
    ],
)
def test_sim_states(line: str, state: str) -> None:
    assert replies.sim_state([line]) == state


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("+CREG: 0,1", "home"),
        ('+CREG: 2,5,"00C3","0010A5B7",7', "roaming"),
        ("+CREG: 0,2", "searching"),
        ("+CREG: 0,3", "denied"),
        ("+CREG: 0,0", "unregistered"),
        ("+CREG: 0,6", "home"),
        ("+CREG: 0,42", "unknown"),
    ],
)
def test_registration_states(line: str, state: str) -> None:
    assert replies.registration([line]) == state


def test_eps_registration_reads_its_own_name() -> None:
    assert replies.registration(["+CEREG: 0,5"], "+CEREG") == "roaming"


def test_operator_signal_and_service_centre() -> None:
    assert replies.operator(['+COPS: 0,0,"O2 - UK",7']) == "O2 - UK"
    assert replies.operator(["+COPS: 0"]) == ""
    assert replies.rssi(["+CSQ: 18,99"]) == 18
    assert replies.rssi(["+CSQ: 99,99"]) is None
    assert replies.service_centre(['+CSCA: "+447700900999",145']) == "+447700900999"
    assert replies.service_centre(['+CSCA: "",129']) == ""


def test_identity_answers_with_and_without_a_name() -> None:
    assert replies.first_value(["huawei"], "+CGMI") == "huawei"
    assert replies.first_value(["+CGMI: SIMCOM INCORPORATED"], "+CGMI") == "SIMCOM INCORPORATED"
    assert replies.first_value(['"Quectel"'], "+CGMI") == "Quectel"


def test_fields_survive_a_stray_carriage_return() -> None:
    assert replies.fields("+CMGS: 1\r2,3") == ["1\r2", "3"]


@given(st.lists(st.text(max_size=40), max_size=6))
def test_garbage_answers_raise_only_garbled_reply(lines: list[str]) -> None:
    strict = (
        replies.message_reference,
        replies.sim_state,
        replies.registration,
        lambda answer: replies.stored(1, answer),
    )
    for parse in strict:
        with contextlib.suppress(GarbledReply):
            parse(lines)
    assert isinstance(replies.listing(lines), list)
    assert isinstance(replies.operator(lines), str)
    assert isinstance(replies.service_centre(lines), str)
    assert replies.rssi(lines) is None or 0 <= (replies.rssi(lines) or 0) <= 31


# -- URCs as events ---------------------------------------------------------------------


def test_cmti_is_a_message_event() -> None:
    event = event_for(Urc('+CMTI: "ME", 12'))
    assert event is not None and (event.kind, event.storage, event.index) == ("message", "ME", 12)


def test_cds_is_a_status_report_with_its_pdu() -> None:
    event = event_for(Urc("+CDS: 25", "0006d60b91"))
    assert event is not None and (event.kind, event.pdu) == ("status-report", "0006D60B91")


def test_cdsi_is_a_status_report_to_read_from_the_store() -> None:
    event = event_for(Urc('+CDSI: "SM",9'))
    assert event is not None and (event.kind, event.index, event.pdu) == ("status-report", 9, "")


def test_radio_chatter_is_no_event_and_the_rest_is_other() -> None:
    assert event_for(Urc("^RSSI: 17")) is None
    assert event_for(Urc('^HCSQ: "LTE",50,41,127,27')) is None
    ring = event_for(Urc("RING"))
    broken = event_for(Urc('+CMTI: "SM"'))
    assert ring is not None and (ring.kind, ring.line) == ("other", "RING")
    assert broken is not None and broken.kind == "other"
