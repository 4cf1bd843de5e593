"""GammuModem (python-gammu) against the built-in emulator over a real pseudo-terminal.

libgammu probes a modem slowly (about 5 s per open()) and pauses 0.7 s in every SMS part,
so one opened modem serves every test that leaves it as it found it; the tests that need
a modem of their own (a wrong PIN, polling, an unplug) each pay for one open().
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import gammu
import pytest

from hardware.emulator import Emulator
from hardware.errors import (
    CmsError,
    GarbledReply,
    ModemError,
    ModemNotReady,
    ModemTimeout,
    PinRefused,
    PortLost,
)
from hardware.gammu import GammuModem
from hardware.gammu.errors import translate
from hardware.gammu.stored import rebuild
from hardware.gammu.tap import DebugTap, Line, final_refusal, stored_pdus
from hardware.modem import ModemEvent
from hardware.pdu import decode_deliver, decode_status_report, encode_deliver

pytestmark = pytest.mark.slow

PIN = "4321"


class Events:
    """What the driver told the gateway, waited for with a timeout."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[ModemEvent] = queue.SimpleQueue()

    def __call__(self, event: ModemEvent) -> None:
        self._queue.put(event)

    def clear(self) -> None:
        """Forget what earlier tests caused, so a wait sees only this test's events."""
        while not self._queue.empty():
            self._queue.get_nowait()

    def next(self, kind: str, timeout: float = 5.0) -> ModemEvent:
        while True:
            event = self._queue.get(timeout=timeout)  # queue.Empty fails the test
            if event.kind == kind:
                return event


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    log = tmp_path_factory.mktemp("gammu") / "sent.jsonl"
    emu = Emulator(pin=PIN, log_path=str(log))
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def events() -> Events:
    return Events()


@pytest.fixture(scope="module")
def modem(emulator: Emulator, events: Events) -> Iterator[GammuModem]:
    m = GammuModem("g1", emulator.device, pin=PIN, registration_timeout=5)
    m.set_event_handler(events)
    m.open()
    yield m
    m.close()


def sent_to(emulator: Emulator, number: str) -> list[tuple[str, int | None, int | None]]:
    return [(p.text, p.part, p.parts) for p in emulator.sent if p.to == number]


# -- what the modem is --------------------------------------------------------------------


def test_identity_names_the_emulators_maker_model_imei_and_imsi(modem: GammuModem) -> None:
    ident = modem.identity()
    assert (ident.manufacturer, ident.model, ident.revision) == ("smsgw", "SMSGW-EMU", "1.0.0")
    assert (ident.imei, ident.imsi) == ("356938035643809", "234301234567890")


def test_network_shows_a_home_registration_its_operator_and_signal(modem: GammuModem) -> None:
    net = modem.network()
    assert (net.registration, net.operator, net.sim) == ("home", "EE", "ready")
    assert (net.rssi, net.dbm) == (23, -67)


# -- sending -------------------------------------------------------------------------------


def test_a_short_message_goes_as_one_part_with_extension_characters_intact(
    modem: GammuModem, emulator: Emulator
) -> None:
    text = "Gate open at [Hollow Farm] ~ reward €50"
    sent = modem.send("+447700900101", text)
    assert sent_to(emulator, "+447700900101") == [(text, None, None)]
    [part] = [p for p in emulator.sent if p.to == "+447700900101"]
    assert (part.encoding, sent.references) == ("gsm7", (part.message_ref,))


def test_a_long_message_goes_as_concatenated_parts_under_one_reference(
    modem: GammuModem, emulator: Emulator
) -> None:
    text = ("Alert: sheep worrying reported near Hollow Farm, keep dogs on leads. " * 6)[:400]
    sent = modem.send("+447700900102", text)
    parts = [p for p in emulator.sent if p.to == "+447700900102"]
    assert [(p.part, p.parts) for p in parts] == [(1, 3), (2, 3), (3, 3)]
    assert len({p.ref for p in parts}) == 1
    assert "".join(p.text for p in parts) == text
    assert sent.references == tuple(p.message_ref for p in parts)


class GivesWay(Exception):
    pass


def test_the_send_hooks_run_once_and_a_refusal_before_the_body_sends_nothing(
    modem: GammuModem, emulator: Emulator
) -> None:
    """gammu has no prompt to overlap: `before_body` runs before the message is handed
    over, `in_flight` while gammu sends it (the worker claims the next there)."""
    calls: list[str] = []

    def refuse() -> None:
        raise GivesWay

    with pytest.raises(GivesWay):
        modem.send("+447700900106", "outranked", before_body=refuse)
    assert sent_to(emulator, "+447700900106") == []
    modem.send(
        "+447700900106",
        "Gate open at Hollow Farm " * 8,
        before_body=lambda: calls.append("before"),
        in_flight=lambda: calls.append("in flight"),
    )
    assert calls == ["before", "in flight"]
    assert len(sent_to(emulator, "+447700900106")) == 2


def test_a_ucs2_message_arrives_whole_with_the_tilde_as_its_look_alike(
    modem: GammuModem, emulator: Emulator
) -> None:
    # libgammu would send "~" as U+0001 in UCS-2; the driver sends U+223C instead.
    text = "Rhôs Farm ☃ ~ road closed by snow. " * 3
    modem.send("+447700900103", text)
    parts = [p for p in emulator.sent if p.to == "+447700900103"]
    assert {p.encoding for p in parts} == {"ucs2"}
    assert [(p.part, p.parts) for p in parts] == [(1, 2), (2, 2)]
    assert "".join(p.text for p in parts) == text.replace("~", "\u223c")


def test_asking_for_a_status_report_sets_srr_and_the_report_comes_back_as_an_event(
    modem: GammuModem, emulator: Emulator, events: Events
) -> None:
    events.clear()
    sent = modem.send("+447700900104", "report me", status_report=True)
    [part] = [p for p in emulator.sent if p.to == "+447700900104"]
    assert part.status_report
    report = decode_status_report(events.next("status-report").pdu)
    assert (report.message_ref, report.recipient) == (sent.references[0], "+447700900104")
    assert report.delivered


def test_a_refused_send_carries_the_networks_cms_code(
    modem: GammuModem, emulator: Emulator
) -> None:
    emulator.network.fail_every = 1  # every submit: +CMS ERROR: 38, network out of order
    try:
        with pytest.raises(CmsError) as caught:
            modem.send("+447700900105", "not today")
    finally:
        emulator.network.fail_every = 0
    assert (caught.value.code, caught.value.permanent) == (38, False)
    assert sent_to(emulator, "+447700900105") == []


def test_a_number_that_is_not_a_number_is_refused_for_good_without_modem_traffic(
    modem: GammuModem, emulator: Emulator
) -> None:
    before = len(emulator.sent)
    with pytest.raises(ModemError) as caught:
        modem.send("call me", "hello")
    assert caught.value.permanent
    assert len(emulator.sent) == before


# -- the message store ----------------------------------------------------------------------


def test_an_injected_message_is_announced_and_reads_back_exactly(
    modem: GammuModem, emulator: Emulator, events: Events
) -> None:
    text = "Van at Beck Lane, reg [KX19 ABC] ~ €"
    events.clear()
    [index] = emulator.inject("+447700900201", text)
    assert events.next("message").index == index
    stored = modem.read_stored(index)
    assert stored is not None
    deliver = decode_deliver(stored.pdu)
    assert (deliver.sender, deliver.text) == ("+447700900201", text)
    modem.delete_stored(index)


def test_listing_returns_each_part_with_its_text_exact(
    modem: GammuModem, emulator: Emulator
) -> None:
    # gammu's own decoding of a concatenated UCS-2 part doubles every "~": the raw PDU
    # read from its log keeps the text as sent.
    text = "Ünïcødé ~ tilde " * 8
    indices = emulator.inject("+447700900202", text)
    listed = {s.index: decode_deliver(s.pdu) for s in modem.list_stored()}
    parts = [listed[i] for i in indices]
    assert {d.sender for d in parts} == {"+447700900202"}
    assert [d.concat.part for d in parts if d.concat] == [1, 2]
    assert "".join(d.text for d in parts) == text
    for index in indices:
        modem.delete_stored(index)


def test_delete_empties_the_slot_and_deleting_it_again_is_harmless(
    modem: GammuModem, emulator: Emulator
) -> None:
    [index] = emulator.inject("+447700900203", "delete me")
    modem.delete_stored(index)
    assert modem.read_stored(index) is None
    assert index not in emulator.store.indices()
    modem.delete_stored(index)


def test_an_empty_or_impossible_slot_reads_as_none(modem: GammuModem) -> None:
    assert modem.read_stored(29) is None  # empty
    assert modem.read_stored(99) is None  # past the 30-slot store


# -- modems of their own ---------------------------------------------------------------------


def test_a_wrong_pin_is_refused_and_never_offered_again() -> None:
    with Emulator(pin=PIN) as emulator:
        modem = GammuModem("g2", emulator.device, pin="1111", registration_timeout=1)
        try:
            with pytest.raises(PinRefused):
                modem.open()
            assert emulator.context.sim.attempts_left == 2
            with pytest.raises(PinRefused):
                modem.open()
            assert emulator.context.sim.attempts_left == 2  # the second open() sent none
            assert modem.network().sim == "pin-refused"
        finally:
            modem.close()


def test_polling_announces_a_new_message_and_an_unplug_is_reported() -> None:
    emulator = Emulator()
    emulator.start()
    events = Events()
    modem = GammuModem("g3", emulator.device, incoming="poll", registration_timeout=5)
    modem.set_event_handler(events)
    try:
        modem.open()
        [index] = emulator.inject("+447700900204", "polled")
        assert events.next("message").index == index
        emulator.stop()
        assert "gone" in events.next("port-lost").line
        with pytest.raises(PortLost):
            modem.identity()
    finally:
        modem.close()
        emulator.stop()


def test_a_modem_without_cgatt_opens_and_sends_with_its_registration_unknown() -> None:
    """libgammu's network query fails as a whole on an ERROR to AT+CGATT?; gammu-smsd
    sends anyway, and so does the driver instead of waiting for a registration forever."""
    with Emulator() as emulator:
        emulator.faults.update(no_cgatt=True)
        modem = GammuModem("g5", emulator.device, registration_timeout=10)
        try:
            modem.open()  # raised ModemNotReady (not registered) after 10 s
            assert modem.network().registration == "unknown"
            modem.send("+447700900205", "no CGATT here")
        finally:
            modem.close()
        assert [(p.to, p.text) for p in emulator.sent] == [("+447700900205", "no CGATT here")]


def test_a_missing_device_is_a_lost_port() -> None:
    modem = GammuModem("g4", "/dev/ttyUSB-smsgw-absent")
    with pytest.raises(PortLost):
        modem.open()
    with pytest.raises(PortLost):
        modem.identity()  # closed again after the failed open


# -- the parts below the driver, with real gammu errors and real log files ------------------


def _gammu_error(name: str, where: str = "SendSMS") -> gammu.GSMError:
    error: gammu.GSMError = getattr(gammu, name)({"Text": "text", "Where": where, "Code": 0})
    return error


def test_a_cms_code_in_the_log_decides_permanence_where_gammu_says_unknown() -> None:
    lines = [Line(1, "AT+CMGS=16"), Line(2, "> 0011000C9144"), Line(3, "+CMS ERROR: 1")]
    error = translate(_gammu_error("ERR_UNKNOWN"), lines, "SendSMS", 0.1)
    assert isinstance(error, CmsError)
    assert (error.code, error.permanent) == (1, True)


def test_only_the_last_final_result_counts_as_the_refusal() -> None:
    lines = [Line(1, "AT+CPROT=?"), Line(2, "+CME ERROR: 100"), Line(1, "AT+CGSN"), Line(2, "OK")]
    assert final_refusal(lines) is None
    error = translate(_gammu_error("ERR_UNKNOWNRESPONSE"), lines, "GetIMEI", 0.1)
    assert isinstance(error, GarbledReply)


@pytest.mark.parametrize(
    ("name", "kind", "state"),
    [
        ("ERR_DEVICENOTEXIST", PortLost, None),
        ("ERR_DEVICEWRITEERROR", PortLost, None),
        ("ERR_TIMEOUT", ModemTimeout, None),
        ("ERR_NOSIM", ModemNotReady, "no-sim"),
        ("ERR_GETTING_SMSC", ModemNotReady, "no-service-centre"),
    ],
)
def test_gammu_errors_map_onto_the_drivers_error_types(
    name: str, kind: type[ModemError], state: str | None
) -> None:
    error = translate(_gammu_error(name), [], "SendSMS", 0.1)
    assert type(error) is kind
    if state is not None:
        assert isinstance(error, ModemNotReady) and error.state == state


def test_the_tap_reads_listed_pdus_with_their_store_and_masks_a_pin(tmp_path: Path) -> None:
    tap = DebugTap(str(tmp_path))
    Path(tap.path).write_text(
        '1 "AT+CPIN="4321""\n2 "OK"\nChecking line: OK\n'
        '1 "AT+CPMS="SM","SM""\n2 "+CPMS: 1,30,1,30"\n3 "OK"\n'
        '1 "AT+CMGL=4"\n2 "+CMGL: 7,1,,5"\n3 "07914477000990990400"\n4 "OK"\n'
    )
    batch = tap.read()
    assert batch.lines[0].text == 'AT+CPIN="****"'
    assert [(r.memory, r.index, r.status, r.pdu) for r in batch.stored] == [
        ("SM", 7, 1, "07914477000990990400")
    ]
    assert tap.read().lines == []  # nothing new


def test_a_read_pdu_takes_its_index_from_the_command_and_its_store_from_before() -> None:
    lines = [Line(1, "AT+CMGR=3"), Line(2, "+CMGR: 0,,5"), Line(3, "00ab"), Line(4, "OK")]
    found, memory = stored_pdus(lines, "ME")
    assert [(r.memory, r.index, r.status, r.pdu) for r in found] == [("ME", 3, 0, "00AB")]
    assert memory == "ME"


def test_a_message_gammu_decoded_is_rebuilt_exactly_when_its_log_lacks_the_pdu() -> None:
    # gammu pads GSM 7-bit text with extension characters with stale bytes up to the
    # septet count; the rebuild cuts it back.
    text = "hello ~ there [x] {y} €"
    [pdu] = encode_deliver("+447700900301", text, datetime(2026, 5, 1, 9, 30, tzinfo=UTC))
    sms = gammu.DecodePDU(bytes.fromhex(pdu), SMSC=True)
    rebuilt = decode_deliver(rebuild(sms))
    assert (rebuilt.sender, rebuilt.text) == ("+447700900301", text)
