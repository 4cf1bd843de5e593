"""The SMS PDU codec: published vectors, splitting rules, round trips, malformed input.

python-gammu cross-checks live in test_pdu_gammu_oracle.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.pdu import (
    Concat,
    Deliver,
    PduError,
    StatusReport,
    decode_deliver,
    decode_incoming,
    decode_status_report,
    decode_submit,
    encode_deliver,
    encode_status_report,
    encode_submit,
    gsm7,
    segments,
)
from hardware.pdu import validity as relative_vp

FAST = settings(max_examples=200, deadline=None)
UTC = UTC
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=1)))
TO = "+447700900123"

# --- published vectors -------------------------------------------------------------------

# The "hellohello" SMS-SUBMIT of the dreamfabric / developershome PDU tutorials:
# default SMSC, TP-VPF relative with TP-VP 0xAA (4 days), to +46708251358.
HELLOHELLO = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
# The dreamfabric SMS-DELIVER "How are you?" with its service centre.
DREAMFABRIC = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
# Diafaan's example of an alphanumeric originator: 13 semi-octets, 7 packed characters.
DIAFAAN = "0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B"
# A +CDS status report from a modem that left out the SMSC octets ("00" added here).
CDS = "00" + "06000B910221815716F2709021510121807090215101718000"


def test_it_encodes_the_classic_hellohello_submit_byte_for_byte() -> None:
    [part] = encode_submit("+46708251358", "hellohello", validity=timedelta(days=4))
    assert part.pdu == HELLOHELLO
    assert part.tpdu_length == len(HELLOHELLO) // 2 - 1
    assert part.concat is None


def test_it_decodes_the_classic_hellohello_submit() -> None:
    sub = decode_submit(HELLOHELLO)
    assert (sub.to, sub.text, sub.encoding) == ("+46708251358", "hellohello", "gsm7")
    assert sub.validity == timedelta(days=4)
    assert (sub.status_report, sub.concat, sub.message_ref) == (False, None, 0)


def test_it_decodes_the_dreamfabric_deliver_with_its_centre_and_time_stamp() -> None:
    msg = decode_deliver(DREAMFABRIC)
    assert (msg.sender, msg.sender_type, msg.smsc) == (
        "+31641600986",
        "international",
        "+31624000000",
    )
    assert msg.text == "How are you?"
    # The zone octet 0x08 is "minus zero quarters": bit 3 is the sign.
    assert msg.timestamp == datetime(2002, 8, 26, 19, 37, 41, tzinfo=UTC)
    assert msg.timestamp.utcoffset() == timedelta(0)


def test_it_decodes_an_alphanumeric_sender() -> None:
    msg = decode_deliver(DIAFAAN)
    assert (msg.sender, msg.sender_type, msg.text) == ("diafaan", "alphanumeric", "diafaan.com")
    assert msg.smsc == "+447802000332"
    assert msg.timestamp == datetime(2011, 1, 11, 13, 25, 41, tzinfo=UTC)


def test_it_decodes_a_status_report_and_its_plus_two_hour_zone() -> None:
    report = decode_status_report(CDS)
    assert (report.message_ref, report.recipient, report.status) == (0, "+20121875612", 0)
    plus_two = timezone(timedelta(hours=2))
    assert report.sc_timestamp == datetime(2007, 9, 12, 15, 10, 12, tzinfo=plus_two)
    assert report.discharge_time == datetime(2007, 9, 12, 15, 10, 17, tzinfo=plus_two)
    assert report.sc_timestamp.utcoffset() == timedelta(hours=2)
    assert report.delivered and report.final


def test_a_service_centre_part_of_only_a_type_octet_means_no_number() -> None:
    # python-gammu writes "0181" for "no SMSC number"; the modem then uses its default.
    assert decode_submit("0181" + HELLOHELLO[2:]).text == "hellohello"
    assert decode_deliver("0181" + DREAMFABRIC[16:]).smsc == ""


def test_it_picks_deliver_or_status_report_by_the_message_type() -> None:
    assert isinstance(decode_incoming(DREAMFABRIC), Deliver)
    assert isinstance(decode_incoming(CDS), StatusReport)
    with pytest.raises(PduError, match="SMS-SUBMIT"):
        decode_incoming(HELLOHELLO)
    with pytest.raises(PduError, match="reserved"):
        decode_incoming("0003")


# --- hand-assembled vectors, field by field ----------------------------------------------

DELIVER_HEAD = "00" + "44" + "0C91447700091032" + "00"  # SMSC, first octet (UDHI), OA, PID
STAMP = "42506070809040"  # 2024-05-06 07:08:09 +01:00


def test_it_finds_seven_bit_text_after_the_fill_bit_that_follows_an_8_bit_udh() -> None:
    # UDH of 6 octets = 48 bits; the text starts at septet 7, after one fill bit:
    # 'h' << 1 = 0xD0, then 'i' = 0x69. UDL counts 7 header septets + 2.
    msg = decode_deliver(DELIVER_HEAD + "00" + STAMP + "09" + "050003CC0201" + "D069")
    assert msg.text == "hi"
    assert msg.concat == Concat(ref=0xCC, part=1, parts=2, ref_bits=8)
    assert msg.timestamp == WHEN


def test_it_reads_a_16_bit_concatenation_reference_with_no_fill_bits() -> None:
    # UDH of 7 octets = 56 bits = exactly 8 septets: 'h' = 0x68 | 'i' << 7, then 'i' >> 1.
    msg = decode_deliver(DELIVER_HEAD + "00" + STAMP + "0A" + "060804ABCD0302" + "E834")
    assert msg.text == "hi"
    assert msg.concat == Concat(ref=0xABCD, part=2, parts=3, ref_bits=16)


def test_it_decodes_ucs2_and_8_bit_data() -> None:
    head = "00" + "04" + "0C91447700091032" + "00"
    ucs2 = decode_deliver(head + "08" + STAMP + "06" + "4F60597DD83D")
    assert ucs2.encoding == "ucs2"
    assert ucs2.text == "你好\ufffd"  # a lone high surrogate: shown as U+FFFD, not a crash
    data = decode_deliver(head + "04" + STAMP + "04" + "00FF8081")
    assert (data.encoding, data.data) == ("8bit", b"\x00\xff\x80\x81")
    with_udh = decode_deliver(DELIVER_HEAD + "08" + STAMP + "0A" + "0500030702024F60597D")
    assert (with_udh.text, with_udh.concat) == ("你好", Concat(7, 2, 2))


@pytest.mark.parametrize(
    ("address", "sender", "kind"),
    [
        ("0B817007900021F3", "07700900123", "national"),  # TON 0: as the sender dialled it
        ("0BA17007900021F3", "07700900123", "national"),  # TON 2
        ("0C91447700091032", "+447700900123", "international"),
        ("04B11121", "1112", "other"),  # TON 3, network specific (a short code)
        ("0BD0D0373B3D2E03", "Police", "alphanumeric"),
    ],
)
def test_it_names_the_type_of_each_originator(address: str, sender: str, kind: str) -> None:
    msg = decode_deliver("00" + "04" + address + "0000" + STAMP + "00")
    assert (msg.sender, msg.sender_type, msg.text) == (sender, kind, "")


# --- splitting and counting --------------------------------------------------------------


def test_exactly_160_gsm_characters_fit_one_part_and_161_need_two() -> None:
    assert segments("a" * 160).parts == 1
    two = segments("a" * 161)
    assert (two.encoding, two.units, two.parts) == ("gsm7", 161, 2)
    assert [len(t) for t in two.texts] == [153, 8]


def test_exactly_70_ucs2_units_fit_one_part_and_71_need_two() -> None:
    assert segments("ж" * 70).parts == 1
    two = segments("ж" * 71)
    assert (two.encoding, two.units, two.parts) == ("ucs2", 71, 2)
    assert [len(t) for t in two.texts] == [67, 4]


def test_extension_characters_count_two_septets() -> None:
    assert segments("€" * 80) == segments("€" * 80)
    one = segments("€" * 80)
    assert (one.encoding, one.units, one.parts) == ("gsm7", 160, 1)
    assert segments("€" * 81).parts == 2
    assert segments("[]{}^\\~|\f€").units == 20


def test_an_extension_character_at_the_153_septet_border_moves_to_the_next_part() -> None:
    seg = segments("a" * 152 + "€" + "b" * 10)
    assert seg.texts == ("a" * 152, "€" + "b" * 10)
    fits = segments("a" * 151 + "€" + "b" * 10)
    assert fits.texts == ("a" * 151 + "€", "b" * 10)


def test_an_emoji_at_the_67_unit_border_moves_to_the_next_part() -> None:
    seg = segments("ж" * 66 + "😀" + "ж" * 5)
    assert seg.units == 73
    assert seg.texts == ("ж" * 66, "😀" + "ж" * 5)
    fits = segments("ж" * 65 + "😀" + "ж" * 5)
    assert fits.texts == ("ж" * 65 + "😀", "ж" * 5)
    assert segments("😀" * 35).parts == 1  # 70 units
    assert [len(t) for t in segments("😀" * 36).texts] == [33, 3]


def test_one_character_outside_the_gsm_alphabet_makes_the_whole_text_ucs2() -> None:
    assert segments("Meet at the gate ").encoding == "gsm7"
    assert segments("Meet at the gate ç").encoding == "ucs2"  # only capital Ç is GSM
    assert segments("Zażółć").encoding == "ucs2"
    assert segments("").texts == ("",)


def test_a_text_of_more_than_255_parts_is_refused() -> None:
    assert segments("a" * 153 * 255).parts == 255
    with pytest.raises(PduError, match="255"):
        segments("a" * (153 * 255 + 1))


def test_encode_submit_splits_exactly_as_segments_says() -> None:
    text = "Fox seen near the A49 bridge, {east} side. " * 6 + "€"
    parts = encode_submit(TO, text, concat_ref=200, message_ref=5)
    seg = segments(text)
    assert tuple(p.text for p in parts) == seg.texts
    assert [p.concat for p in parts] == [Concat(200, n, seg.parts) for n in range(1, seg.parts + 1)]
    for part in parts:
        assert len(part.pdu) == 2 + 2 * part.tpdu_length
        sub = decode_submit(part.pdu)
        assert (sub.text, sub.concat, sub.message_ref) == (part.text, part.concat, 5)


# --- submit options ----------------------------------------------------------------------


def test_it_sets_the_status_report_request_and_the_relative_validity() -> None:
    [part] = encode_submit(TO, "x", status_report=True, validity=timedelta(hours=1))
    first = int(part.pdu[2:4], 16)
    assert first & 0x20 and first & 0x18 == 0x10
    sub = decode_submit(part.pdu)
    assert (sub.status_report, sub.validity) == (True, timedelta(hours=1))
    [plain] = encode_submit(TO, "x")
    assert int(plain.pdu[2:4], 16) & 0x38 == 0
    assert decode_submit(plain.pdu).validity is None


@pytest.mark.parametrize(
    ("period", "octet"),
    [
        (timedelta(minutes=5), 0),
        (timedelta(minutes=1), 0),
        (timedelta(hours=12), 143),
        (timedelta(hours=12, minutes=1), 144),
        (timedelta(hours=24), 167),
        (timedelta(days=2), 168),
        (timedelta(days=30), 196),
        (timedelta(days=31), 197),
        (timedelta(weeks=63), 255),
        (timedelta(weeks=100), 255),
    ],
)
def test_validity_maps_to_the_23_040_scales(period: timedelta, octet: int) -> None:
    assert relative_vp.encode(period) == octet


@given(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(weeks=63)))
@FAST
def test_validity_is_the_shortest_period_no_shorter_than_asked(period: timedelta) -> None:
    octet = relative_vp.encode(period)
    assert relative_vp.decode(octet) >= period
    if octet:
        assert relative_vp.decode(octet - 1) < period


@pytest.mark.parametrize(
    "bad", ["", "+", "07700 900123", "+44-7700-900123", "abc", "1" * 21, "++44", "+44a"]
)
def test_it_refuses_a_destination_that_is_not_plus_and_digits_or_digits(bad: str) -> None:
    with pytest.raises(PduError):
        encode_submit(bad, "hello")


def test_international_and_national_destinations_get_their_type_of_address() -> None:
    assert encode_submit("+447700900123", "x")[0].pdu[8:10] == "91"
    national = encode_submit("07700900123", "x")[0]
    assert national.pdu[8:10] == "81"
    assert decode_submit(national.pdu).to == "07700900123"


def test_extension_characters_travel_as_escape_pairs() -> None:
    assert gsm7.to_septets("a€[") == bytes([0x61, 0x1B, 0x65, 0x1B, 0x3C])
    [part] = encode_submit(TO, "a€[")
    assert part.pdu.endswith("05" + gsm7.pack(bytes([0x61, 0x1B, 0x65, 0x1B, 0x3C])).hex().upper())


@pytest.mark.parametrize(
    "call",
    [
        lambda: encode_submit(TO, "x", concat_ref=256),
        lambda: encode_submit(TO, "x", message_ref=-1),
        lambda: encode_submit(TO, "x", validity=timedelta(0)),
        lambda: encode_deliver("Police", "x", datetime(2024, 1, 1)),  # naive
        lambda: encode_deliver(
            "Police", "x", datetime(2024, 1, 1, tzinfo=timezone(timedelta(minutes=10)))
        ),
        lambda: encode_deliver("Police", "x", datetime(1999, 12, 31, tzinfo=UTC)),
        lambda: encode_deliver("Gamekeeper12", "x", WHEN),  # 12 septets: one too many
        lambda: encode_deliver("Zażółć", "x", WHEN),
        lambda: encode_deliver("", "x", WHEN),
        lambda: encode_deliver("+447700900123", "x", WHEN, smsc="centre"),
        lambda: encode_status_report(1, "Police", 0, WHEN, WHEN),
        lambda: encode_status_report(1, TO, 256, WHEN, WHEN),
    ],
)
def test_values_that_cannot_be_encoded_raise_pdu_error(call: Callable[[], object]) -> None:
    with pytest.raises(PduError):
        call()


# --- round trips -------------------------------------------------------------------------

GSM_CHARS = [c for c in gsm7.MAIN if c != "\x1b"] + sorted(gsm7.EXTENSION_CHARS)
OTHER_CHARS = list("αβγωΑΩąćęłńóśźżĄŁŻжщЯЁ中文字漢😀🦊🚜👍🏽é")
gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=400)
any_text = st.text(alphabet=st.sampled_from(GSM_CHARS + OTHER_CHARS), max_size=400)
numbers = st.integers(0, 999).map(lambda n: f"+447700900{n:03d}") | st.integers(0, 999).map(
    lambda n: f"07700900{n:03d}"
)
offsets = st.integers(-79, 79).map(lambda q: timezone(timedelta(minutes=15 * q)))
stamps = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31, 23, 59, 59)).map(
        lambda d: d.replace(microsecond=0)
    ),
    offsets,
)
alpha_senders = st.text(alphabet=st.sampled_from(GSM_CHARS), min_size=1, max_size=11).filter(
    lambda s: gsm7.septet_count(s) <= 11 and not s.isdigit() and not s.startswith("+")
)


@given(numbers, gsm_text | any_text, st.booleans(), st.integers(0, 255), st.integers(0, 255))
@FAST
def test_submit_round_trips(to: str, text: str, report: bool, ref: int, mr: int) -> None:
    parts = encode_submit(to, text, status_report=report, concat_ref=ref, message_ref=mr)
    decoded = [decode_submit(p.pdu) for p in parts]
    assert "".join(d.text for d in decoded) == text
    assert all(d.to == to and d.status_report == report and d.message_ref == mr for d in decoded)
    assert [d.concat for d in decoded] == [p.concat for p in parts]
    assert {d.encoding for d in decoded} == {segments(text).encoding}


@given(numbers | alpha_senders, any_text, stamps, st.integers(0, 255))
@FAST
def test_deliver_round_trips(sender: str, text: str, when: datetime, ref: int) -> None:
    pdus = encode_deliver(sender, text, when, concat_ref=ref, smsc="+447700900000")
    decoded = [decode_incoming(p) for p in pdus]
    assert all(isinstance(d, Deliver) for d in decoded)
    msgs = [d for d in decoded if isinstance(d, Deliver)]
    assert "".join(m.text for m in msgs) == text
    for number, msg in enumerate(msgs, start=1):
        assert (msg.sender, msg.smsc, msg.timestamp) == (sender, "+447700900000", when)
        assert msg.timestamp.utcoffset() == when.utcoffset()
        expected = Concat(ref, number, len(pdus)) if len(pdus) > 1 else None
        assert msg.concat == expected


@given(st.integers(0, 255), numbers, st.integers(0, 255), stamps, stamps)
@FAST
def test_status_report_round_trips(
    mr: int, to: str, status: int, sc: datetime, dt: datetime
) -> None:
    report = decode_status_report(encode_status_report(mr, to, status, sc, dt))
    assert report == StatusReport(mr, to, sc, dt, status)
    assert report.delivered == (status < 0x20)


def test_a_status_reports_outcome_follows_tp_st() -> None:
    def report(status: int) -> StatusReport:
        return StatusReport(1, TO, WHEN, WHEN, status)

    assert report(0x00).delivered and report(0x02).delivered and report(0x1F).delivered
    assert not report(0x20).delivered and not report(0x20).final  # still trying
    assert not report(0x3F).final
    assert report(0x40).final and not report(0x40).delivered  # permanent error
    assert report(0x60).final and not report(0x60).delivered  # network gave up


# --- malformed input ---------------------------------------------------------------------

DECODERS = [decode_submit, decode_deliver, decode_status_report, decode_incoming]
VALID = [
    HELLOHELLO,
    DREAMFABRIC,
    DIAFAAN,
    CDS,
    *(p.pdu for p in encode_submit(TO, "ж" * 80 + "😀", validity=timedelta(days=1))),
    *encode_deliver("Police", "€" * 90, WHEN, smsc="+447700900000"),
    DELIVER_HEAD + "00" + STAMP + "09" + "050003CC0201" + "D069",
]


def only_pdu_errors(pdu: str) -> None:
    """Each decoder either returns or raises PduError; anything else fails the test."""
    for decode in DECODERS:
        with contextlib.suppress(PduError):
            decode(pdu)


@pytest.mark.parametrize(
    ("pdu", "reason"),
    [
        ("", "hex"),
        ("0", "hex"),
        ("00ZZ", "hex"),
        ("00 04", "hex"),
        (CDS[:-2], "before the status"),
        (DREAMFABRIC[:-2], "user data"),
        ("0C" + DREAMFABRIC[2:], "service-centre length"),
        ("00" + "04" + "1591" + "00" * 40, "originating address length"),
        (DELIVER_HEAD + "00" + STAMP + "09" + "0A0003CC0201" + "D069", "UDH"),
        (DELIVER_HEAD + "00" + STAMP + "03" + "050003CC0201" + "D069", "UDH"),
        (DELIVER_HEAD + "00" + STAMP + "09" + "05000ACC0201" + "D069", "runs past"),
        ("00" + "04" + "0C91447700091032" + "0000" + "42136070809040" + "00", "not a real time"),
        ("00" + "04" + "0C91447700091032" + "0000" + "425060708090A0" + "00", "not BCD"),
        ("00" + "04" + "0C91447700091032" + "0008" + STAMP + "03" + "4F6059", "odd"),
        ("00" + "04" + "0C91447700091032" + "0000" + STAMP + "A1" + "00" * 150, "160"),
        ("00" + "04" + "0C91447700091032" + "0004" + STAMP + "8D" + "00" * 150, "140"),
    ],
)
def test_malformed_pdus_raise_a_pdu_error_that_says_why(pdu: str, reason: str) -> None:
    with pytest.raises(PduError, match=reason):
        decode_incoming(pdu)


def test_every_truncation_of_a_valid_pdu_raises_only_pdu_error() -> None:
    for pdu in VALID:
        for end in range(0, len(pdu)):
            only_pdu_errors(pdu[:end])


@given(st.binary(max_size=200))
@FAST
def test_random_octets_raise_only_pdu_error(data: bytes) -> None:
    only_pdu_errors(data.hex())
    only_pdu_errors("00" + data.hex())  # past the SMSC octet, into the TPDU parsers


@given(st.sampled_from(VALID), st.data())
@FAST
def test_mutated_valid_pdus_raise_only_pdu_error(pdu: str, data: st.DataObject) -> None:
    octets = bytearray.fromhex(pdu)
    for _ in range(data.draw(st.integers(1, 4))):
        octets[data.draw(st.integers(0, len(octets) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(octets)))
    only_pdu_errors(bytes(octets[:cut]).hex())
    only_pdu_errors(bytes(octets).hex())


@given(st.text(max_size=60))
@FAST
def test_random_strings_raise_only_pdu_error(text: str) -> None:
    only_pdu_errors(text)


def test_a_pdu_that_is_not_a_string_raises_pdu_error() -> None:
    with pytest.raises(PduError):
        decode_incoming(b"0004")  # type: ignore[arg-type]


def test_a_modem_store_padding_of_ff_after_the_message_is_tolerated() -> None:
    # SIM records are 176 octets; some modems list them with the trailing 0xFF padding.
    assert decode_deliver(DREAMFABRIC + "FF" * 20).text == "How are you?"


# (Their speed, encoding an alert for 26,500 and splitting 255 parts: `make bench`'s `micro`.)
