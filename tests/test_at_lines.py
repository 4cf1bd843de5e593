"""Line framing and URC sorting, byte by byte (hardware/at/lines.py, results.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.at.lines import (
    PROMPT,
    LineFramer,
    LineSorter,
    Token,
    Urc,
    command_name,
    line_name,
)
from hardware.at.results import Final, error_for, parse_final
from hardware.errors import CmeError, CmsError, CommandError

CMGL_ANSWER = (
    b"\r\n+CMGL: 1,0,,24\r\n"
    b"07914477790000F0040C914477009001230000422160215043400541F45B0D02\r\n"
    b"\r\n+CMGL: 2,1,,24\r\n"
    b"07914477790000F0040C914477009001230000422160215043400541F45B0D03\r\n"
    b"\r\nOK\r\n"
)


def frame(*chunks: bytes) -> list[Token]:
    framer = LineFramer()
    tokens: list[Token] = []
    for chunk in chunks:
        tokens.extend(framer.feed(chunk))
    return tokens


def one_byte_at_a_time(data: bytes) -> list[Token]:
    return frame(*(data[i : i + 1] for i in range(len(data))))


def lines_of(tokens: list[Token]) -> list[str]:
    return [t for t in tokens if isinstance(t, str)]


def final_of(line: str) -> Final:
    final = parse_final(line)
    assert final is not None
    return final


def sort_all(
    lines: list[str], answering: str | None, sorter: LineSorter | None = None
) -> tuple[list[str], list[Urc]]:
    sorter = sorter or LineSorter()
    answers: list[str] = []
    urcs: list[Urc] = []
    for line in lines:
        for item in sorter.sort(line, answering):
            if isinstance(item, Urc):
                urcs.append(item)
            else:
                answers.append(item)
    return answers, urcs


# -- framing ------------------------------------------------------------------------


def test_it_splits_crlf_lines_and_drops_blank_ones() -> None:
    assert frame(b"\r\nOK\r\n\r\n+CSQ: 18,99\r\n\r\nOK\r\n") == ["OK", "+CSQ: 18,99", "OK"]


def test_it_joins_a_line_split_across_reads() -> None:
    assert frame(b"+CMG", b"S: 4", b"2\r\n") == ["+CMGS: 42"]


def test_a_crlf_split_between_two_reads_ends_one_line_only() -> None:
    framer = LineFramer()
    assert framer.feed(b"\r\nOK\r") == ["OK"]
    assert framer.feed(b"\n") == []
    assert framer.feed(b"ERROR\r\n") == ["ERROR"]


def test_bare_cr_and_bare_lf_both_end_a_line() -> None:
    assert frame(b"huawei\rE3372\nOK\r") == ["huawei", "E3372", "OK"]


def test_a_partial_line_waits_for_its_end() -> None:
    framer = LineFramer()
    assert framer.feed(b'+CMTI: "SM",') == []
    assert framer.feed(b"3\r\n") == ['+CMTI: "SM",3']


def test_feeding_one_byte_at_a_time_gives_the_same_lines() -> None:
    assert one_byte_at_a_time(CMGL_ANSWER) == frame(CMGL_ANSWER)
    assert len(frame(CMGL_ANSWER)) == 5


@given(st.lists(st.integers(min_value=0, max_value=len(CMGL_ANSWER)), max_size=12))
def test_any_split_of_the_stream_gives_the_same_lines(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    chunks = [
        CMGL_ANSWER[a:b] for a, b in zip([0, *points], [*points, len(CMGL_ANSWER)], strict=True)
    ]
    assert frame(*chunks) == frame(CMGL_ANSWER)


def test_garbage_before_and_after_an_answer_is_dropped() -> None:
    noise = b"\x00\x00\xff\xfe\x1b\r\n\x00"
    assert frame(noise + b"\r\nOK\r\n" + noise) == ["OK"]


def test_non_utf8_bytes_inside_a_line_do_not_lose_the_line() -> None:
    (line,) = lines_of(frame(b'+COPS: 0,0,"O2 \xff UK",7\r\n'))
    assert line.startswith("+COPS: 0,0,")
    assert "\ufffd" in line


def test_control_characters_inside_a_line_are_removed() -> None:
    assert frame(b"\x00O\x00K\x07\r\n") == ["OK"]


def test_the_cmgs_prompt_is_recognised_without_a_line_end() -> None:
    assert frame(b"\r\n> ") == [PROMPT]


def test_the_prompt_is_recognised_byte_by_byte_and_the_answer_follows() -> None:
    stream = b"\r\n> " + b"\r\n+CMGS: 17\r\n\r\nOK\r\n"
    assert one_byte_at_a_time(stream) == [PROMPT, "+CMGS: 17", "OK"]


def test_a_greater_than_sign_inside_a_line_is_not_a_prompt() -> None:
    assert frame(b'+COPS: 0,0,"A>B",7\r\n') == ['+COPS: 0,0,"A>B",7']


def test_an_endless_line_is_cut_rather_than_held_forever() -> None:
    framer = LineFramer(max_line=16)
    tokens = framer.feed(b"A" * 40)
    assert tokens == ["A" * 16, "A" * 16]


# -- sorting ------------------------------------------------------------------------


def test_with_no_command_in_flight_every_line_is_unsolicited() -> None:
    answers, urcs = sort_all(["RING", '+CLIP: "+447700900123",145', "something odd"], None)
    assert answers == []
    assert [u.name for u in urcs] == ["RING", "+CLIP", "something odd"]


def test_a_cmti_in_the_middle_of_a_cmgl_answer_goes_to_the_events() -> None:
    lines = lines_of(frame(CMGL_ANSWER))
    lines.insert(2, '+CMTI: "SM",3')
    answers, urcs = sort_all(lines, "+CMGL")
    assert urcs == [Urc('+CMTI: "SM",3')]
    assert answers == lines_of(frame(CMGL_ANSWER))


def test_a_cmti_split_across_reads_inside_an_answer_is_still_unsolicited() -> None:
    first_entry = CMGL_ANSWER.index(b"\r\n\r\n+CMGL: 2")  # between two entries
    stream = CMGL_ANSWER[:first_entry] + b'\r\n+CMTI: "SM",3' + CMGL_ANSWER[first_entry:]
    answers, urcs = sort_all(lines_of(one_byte_at_a_time(stream)), "+CMGL")
    assert urcs == [Urc('+CMTI: "SM",3')]
    assert answers[-1] == "OK" and len(answers) == 5


def test_the_cds_status_report_takes_its_pdu_line_with_it() -> None:
    pdu = "0006D60B914477009001F3422160215043404221602150434000"
    answers, urcs = sort_all(["+CDS: 25", pdu], None)
    assert answers == []
    assert urcs == [Urc("+CDS: 25", pdu)]


def test_a_cds_inside_an_answer_does_not_lend_its_pdu_to_the_answer() -> None:
    pdu = "0006D60B914477009001F3422160215043404221602150434000"
    lines = ["+CMGR: 0,,24", "+CDS: 25", pdu, "07914477790000F004", "OK"]
    answers, urcs = sort_all(lines, "+CMGR")
    assert urcs == [Urc("+CDS: 25", pdu)]
    assert answers == ["+CMGR: 0,,24", "07914477790000F004", "OK"]


def test_a_cds_whose_pdu_never_comes_is_handed_up_alone() -> None:
    answers, urcs = sort_all(["+CDS: 25", "OK"], "")
    assert urcs == [Urc("+CDS: 25")]
    assert answers == ["OK"]


def test_cmt_is_a_two_line_code_too() -> None:
    answers, urcs = sort_all(["+CMT: ,24", "07914477790000F0040C91"], "+CSQ")
    assert urcs == [Urc("+CMT: ,24", "07914477790000F0040C91")]
    assert answers == []


def test_cdsi_is_one_line() -> None:
    answers, urcs = sort_all(['+CDSI: "SM",7', "OK"], "+CMGD")
    assert urcs == [Urc('+CDSI: "SM",7')]
    assert answers == ["OK"]


def test_an_unsolicited_creg_during_a_creg_query_is_not_the_answer() -> None:
    answers, urcs = sort_all(
        ["+CREG: 1", '+CREG: 5,"00C3","0010A5B7"', "+CREG: 2,1", "OK"], "+CREG"
    )
    assert answers == ["+CREG: 2,1", "OK"]
    assert [u.line for u in urcs] == ["+CREG: 1", '+CREG: 5,"00C3","0010A5B7"']


def test_huawei_noise_and_other_named_codes_in_an_answer_are_unsolicited() -> None:
    lines = ["^RSSI: 18", '^HCSQ: "LTE",50,41,127,27', "+CPIN: READY", "+CGMS: 3", "OK"]
    answers, urcs = sort_all(lines, "+CMGF")
    assert answers == ["OK"]
    assert [u.name for u in urcs] == ["^RSSI", "^HCSQ", "+CPIN", "+CGMS"]


def test_bare_lines_are_answers_but_ring_is_not() -> None:
    answers, urcs = sort_all(["huawei", "RING", "OK"], "+CGMI")
    assert answers == ["huawei", "OK"]
    assert urcs == [Urc("RING")]


def test_error_codes_are_always_part_of_the_answer() -> None:
    answers, urcs = sort_all(["+CME ERROR: 10"], "+CPIN")
    answers2, _ = sort_all(["+CMS ERROR: 38"], "+CMGS")
    assert (answers, urcs, answers2) == (["+CME ERROR: 10"], [], ["+CMS ERROR: 38"])


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ('+CMTI: "SM",3', "+CMTI"),
        ("^RSSI:18", "^RSSI"),
        ("OK", ""),
        ("+CMS ERROR: 1", "+CMS ERROR"),
    ],
)
def test_line_names(line: str, name: str) -> None:
    assert line_name(line) == name


@pytest.mark.parametrize(
    ("command", "name"),
    [("AT+CMGL=4", "+CMGL"), ("AT+CPIN?", "+CPIN"), ("at^sysinfo", "^SYSINFO"), ("ATE0", "")],
)
def test_command_names(command: str, name: str) -> None:
    assert command_name(command) == name


# -- final result codes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "code"),
    [
        ("OK", "ok", None),
        ("ERROR", "error", None),
        ("NO CARRIER", "error", None),
        ("COMMAND NOT SUPPORT", "error", None),
        ("+CMS ERROR: 38", "cms", 38),
        ("+CME ERROR: 16", "cme", 16),
        ("+CME ERROR: SIM PIN required", "cme", 11),
        ("+CME ERROR: incorrect password", "cme", 16),
        ("+CMS ERROR: SMSC address unknown", "cms", 330),
        ("+CME ERROR: something new", "cme", 100),
        ("+CMGS ERROR: 500", "cms", 500),
    ],
)
def test_final_result_codes(line: str, kind: str, code: int | None) -> None:
    final = parse_final(line)
    assert final is not None
    assert (final.kind, final.code) == (kind, code)


@pytest.mark.parametrize("line", ["+CMGS: 12", "OKAY", "huawei", "+CME: 3"])
def test_lines_that_are_not_final(line: str) -> None:
    assert parse_final(line) is None


def test_errors_carry_the_code_and_whether_a_retry_can_help() -> None:
    congestion = error_for(final_of("+CMS ERROR: 38"), "AT+CMGS=20")
    unassigned = error_for(final_of("+CMS ERROR: 1"), "AT+CMGS=20")
    bad_pin = error_for(final_of("+CME ERROR: 16"), "AT+CPIN")
    plain = error_for(final_of("ERROR"), "AT+CMMS=2")
    assert isinstance(congestion, CmsError) and congestion.code == 38
    assert not congestion.permanent
    assert isinstance(unassigned, CmsError) and unassigned.permanent
    assert isinstance(bad_pin, CmeError) and bad_pin.code == 16 and bad_pin.permanent
    assert isinstance(plain, CommandError)
    assert error_for(final_of("OK"), "AT") is None


ANSWERING = st.sampled_from([None, "", "+CMGL", "+CREG", "+CDS", "+CMT"])


@given(st.lists(st.binary(max_size=64), max_size=20), ANSWERING)
def test_no_byte_stream_makes_framing_or_sorting_raise(
    chunks: list[bytes], answering: str | None
) -> None:
    framer, sorter = LineFramer(), LineSorter()
    for chunk in chunks:
        for token in framer.feed(chunk):
            if isinstance(token, str):
                for item in sorter.sort(token, answering):
                    assert isinstance(item, str | Urc)


@given(st.lists(st.text(alphabet='+^CREGMDST:, 0123456789"AOK', max_size=20)), ANSWERING)
def test_no_line_makes_sorting_raise(lines: list[str], answering: str | None) -> None:
    sorter = LineSorter()
    for line in lines:
        sorter.sort(line, answering)
