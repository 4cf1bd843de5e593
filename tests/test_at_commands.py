"""The AT driver against a scripted device on a real pseudo-terminal (tests/at_peer.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from at_peer import FakeDevice, Reply
from procs import wait_for

from hardware.at.commands import AtChannel, Timeouts
from hardware.at.lines import Urc
from hardware.at.modem import AtModem
from hardware.at.port import SerialPort
from hardware.errors import (
    CmeError,
    CmsError,
    CommandError,
    GarbledReply,
    ModemNotReady,
    ModemTimeout,
    PinRefused,
    PortLost,
)
from hardware.modem import ModemEvent
from hardware.pdu import decode_submit

FAST = Timeouts(
    default=1.0, sync=0.3, cpin=1.0, prompt=0.5, cmgs=1.0, cmgl=1.0, sim_ready=1.0,
    service_centre=0.3,
)  # fmt: skip
TO = "+447700900123"
PIN_LOCKED: dict[str, Reply] = {"AT+CPIN?": "+CPIN: SIM PIN\nOK", 'AT+CPIN="1234"': "OK"}


@pytest.fixture
def device() -> Iterator[FakeDevice]:
    dev = FakeDevice()
    yield dev
    dev.close()


class Channel:
    """An AtChannel on a SerialPort, as AtModem wires them, with the URCs it handed up."""

    def __init__(self, device: FakeDevice) -> None:
        self.urcs: list[Urc] = []
        self.port = SerialPort(device.path)
        self.port.open()
        self.at = AtChannel(self.port.write, self.urcs.append, FAST)
        self.port.start(self.at.feed, self.at.lost)


@pytest.fixture
def channel(device: FakeDevice) -> Iterator[Channel]:
    ch = Channel(device)
    yield ch
    ch.port.close()


class Modems:
    """Makes AtModems on the device and collects their events."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        self.events: list[ModemEvent] = []
        self.made: list[AtModem] = []
        self.arrived = threading.Event()

    def __call__(self, *, pin: str = "", registration_timeout: float = 0.5) -> AtModem:
        modem = AtModem(
            "dongle1", self.device.path, pin=pin, timeouts=FAST,
            registration_timeout=registration_timeout,
        )  # fmt: skip
        modem.set_event_handler(self._on_event)
        self.made.append(modem)
        return modem

    def opened(self, *, pin: str = "", registration_timeout: float = 0.5) -> AtModem:
        modem = self(pin=pin, registration_timeout=registration_timeout)
        modem.open()
        return modem

    def _on_event(self, event: ModemEvent) -> None:
        self.events.append(event)
        self.arrived.set()

    def wait_for(self, kind: str, timeout: float = 2.0) -> ModemEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events if e.kind == kind]
            if found:
                return found[0]
            self.arrived.wait(0.05)
            self.arrived.clear()
        raise AssertionError(f"no {kind} event; got {self.events}")


@pytest.fixture
def modems(device: FakeDevice) -> Iterator[Modems]:
    factory = Modems(device)
    yield factory
    for modem in factory.made:
        modem.close()


def script(*replies: str | bytes | None) -> Callable[[str], str | bytes | None]:
    """A reply that changes each time the command is sent; the last one repeats."""
    queue = list(replies)

    def reply(_: str) -> str | bytes | None:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return reply


# -- one command in flight ------------------------------------------------------------


def test_a_command_returns_its_information_lines(device: FakeDevice, channel: Channel) -> None:
    device.replies["AT+CSQ"] = "+CSQ: 18,99\nOK"
    assert channel.at.command("AT+CSQ") == ["+CSQ: 18,99"]
    assert device.received.endswith(b"AT+CSQ\r")


def test_a_timeout_carries_the_partial_answer(device: FakeDevice, channel: Channel) -> None:
    device.replies["AT+CMGL=4"] = "+CMGL: 1,0,,24"  # and then nothing: no PDU, no OK
    started = time.monotonic()
    with pytest.raises(ModemTimeout) as caught:
        channel.at.command("AT+CMGL=4", timeout=0.3)
    assert caught.value.partial == ["+CMGL: 1,0,,24"]
    assert caught.value.command == "AT+CMGL=4"
    assert time.monotonic() - started > 0.25  # it waited for the timeout, not less


def test_a_late_answer_to_a_timed_out_command_does_not_answer_the_next(
    device: FakeDevice, channel: Channel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hardware.at.commands")
    device.replies["AT+CSQ"] = script(None, "+CSQ: 21,99\nOK")
    with pytest.raises(ModemTimeout):
        channel.at.command("AT+CSQ", timeout=0.2)
    device.push("+CSQ: 5,99\nOK")  # the modem finally answers the first AT+CSQ
    wait_for(lambda: "late final result" in caplog.text, 10, "the late answer to be read")
    assert channel.at.command("AT+CSQ") == ["+CSQ: 21,99"]


def test_a_transient_cms_error_is_not_permanent(device: FakeDevice, channel: Channel) -> None:
    device.replies["PDU"] = "+CMS ERROR: 38"  # network out of order
    with pytest.raises(CmsError) as caught:
        channel.at.send_pdu("AT+CMGS=13", "0001000B914477009001F30000")
    assert caught.value.code == 38
    assert caught.value.permanent is False


def test_an_unassigned_number_is_a_permanent_cms_error(
    device: FakeDevice, channel: Channel
) -> None:
    device.replies["PDU"] = "+CMS ERROR: 1"
    with pytest.raises(CmsError) as caught:
        channel.at.send_pdu("AT+CMGS=13", "0001000B914477009001F30000")
    assert (caught.value.code, caught.value.permanent) == (1, True)


def test_the_pdu_follows_the_prompt_and_ends_with_ctrl_z(
    device: FakeDevice, channel: Channel
) -> None:
    assert channel.at.send_pdu("AT+CMGS=13", "0001000B914477009001F30000") == ["+CMGS: 1"]
    assert device.received.endswith(b"AT+CMGS=13\r0001000B914477009001F30000\x1a")


def test_a_refused_cmgs_raises_before_any_pdu_is_written(
    device: FakeDevice, channel: Channel
) -> None:
    device.replies["AT+CMGS="] = "+CMS ERROR: 304"
    with pytest.raises(CmsError):
        channel.at.send_pdu("AT+CMGS=13", "0001000B914477009001F30000")
    assert b"0001000B" not in device.received


def test_a_missing_prompt_times_out_and_leaves_text_entry_with_esc(
    device: FakeDevice, channel: Channel
) -> None:
    device.replies["AT+CMGS="] = None
    with pytest.raises(ModemTimeout):
        channel.at.send_pdu("AT+CMGS=13", "0001000B914477009001F30000")
    assert device.wait_received(b"AT+CMGS=13\r\x1b"), device.received


def test_a_urc_inside_an_answer_is_handed_up_not_answered(
    device: FakeDevice, channel: Channel
) -> None:
    device.replies["AT+CMGR=1"] = (
        b'\r\n+CMGR: 0,,24\r\n\r\n+CMTI: "SM",2\r\n07914477790000F0\r\n\r\n^RSSI: 14\r\n\r\nOK\r\n'
    )
    assert channel.at.command("AT+CMGR=1") == ["+CMGR: 0,,24", "07914477790000F0"]
    assert [u.line for u in channel.urcs] == ['+CMTI: "SM",2', "^RSSI: 14"]


def test_a_failing_event_handler_does_not_cost_the_answer(device: FakeDevice) -> None:
    def broken(urc: Urc) -> None:
        raise RuntimeError("bug in a handler")

    port = SerialPort(device.path)
    port.open()
    at = AtChannel(port.write, broken, FAST)
    port.start(at.feed, at.lost)
    try:
        device.replies["AT+CSQ"] = '+CMTI: "SM",1\n+CSQ: 9,99\nOK'
        assert at.command("AT+CSQ") == ["+CSQ: 9,99"]
    finally:
        port.close()


def test_simcom_boot_chatter_is_not_an_answer(device: FakeDevice, channel: Channel) -> None:
    device.replies["AT+CGMM"] = "RDY\n+CPIN: READY\nSIMCOM_SIM7600E-H\nSMS DONE\nPB DONE\nOK"
    assert channel.at.command("AT+CGMM") == ["SIMCOM_SIM7600E-H"]
    assert [u.line for u in channel.urcs] == ["RDY", "+CPIN: READY", "SMS DONE", "PB DONE"]


def test_a_plain_error_is_a_command_error(device: FakeDevice, channel: Channel) -> None:
    with pytest.raises(CommandError):
        channel.at.command("AT+NOSUCH")


def test_verbose_cme_texts_map_to_their_codes(device: FakeDevice, channel: Channel) -> None:
    device.replies["AT+CIMI"] = "+CME ERROR: SIM PIN required"
    with pytest.raises(CmeError) as caught:
        channel.at.command("AT+CIMI")
    assert caught.value.code == 11 and caught.value.permanent


def test_echoed_commands_are_not_taken_for_answers() -> None:
    device = FakeDevice({"AT+CGMI": "huawei\nOK"}, echo=True)
    ch = Channel(device)
    try:
        assert ch.at.command("AT+CGMI") == ["huawei"]
        assert device.received.count(b"AT+CGMI\r") == 1
    finally:
        ch.port.close()
        device.close()


def test_a_pin_never_reaches_the_trace_log(
    device: FakeDevice, channel: Channel, caplog: pytest.LogCaptureFixture
) -> None:
    device.replies['AT+CPIN="8642"'] = None
    caplog.set_level(logging.DEBUG, logger="hardware.at.trace")
    with pytest.raises(ModemTimeout) as caught:
        channel.at.command('AT+CPIN="8642"', timeout=0.2)
    assert any("AT+CPIN=<redacted>" in r.getMessage() for r in caplog.records)
    assert "8642" not in caplog.text
    assert "8642" not in str(caught.value)


# -- the port going away ----------------------------------------------------------------


def test_losing_the_port_mid_command_raises_port_lost_at_once(
    device: FakeDevice, modems: Modems
) -> None:
    modem = modems.opened()
    device.replies["AT+CMGL=4"] = None
    threading.Timer(0.2, device.hang_up).start()
    started = time.monotonic()
    with pytest.raises(PortLost):
        modem.list_stored()
    assert time.monotonic() - started < 0.9  # well before the 1 s CMGL timeout
    event = modems.wait_for("port-lost")
    assert event.line
    started = time.monotonic()
    with pytest.raises(PortLost):
        modem.network()
    assert time.monotonic() - started < 0.5  # at once, not after a command timeout
    assert [e.kind for e in modems.events] == ["port-lost"]


def test_opening_a_device_that_is_not_there_raises_port_lost(modems: Modems) -> None:
    modem = AtModem("gone", "/dev/does-not-exist-smsgw", timeouts=FAST)
    with pytest.raises(PortLost):
        modem.open()


def test_a_port_in_use_by_another_driver_is_not_shared(modems: Modems) -> None:
    modems.opened()
    with pytest.raises(PortLost, match="lock"):
        modems.opened()


def test_closing_twice_is_harmless_and_emits_nothing(modems: Modems) -> None:
    modem = modems.opened()
    modem.close()
    modem.close()
    with pytest.raises(PortLost):
        modem.identity()
    assert modems.events == []


# -- opening: sync, SIM, set-up -----------------------------------------------------------


def test_open_runs_the_set_up_in_order(device: FakeDevice, modems: Modems) -> None:
    modems.opened()
    assert device.commands[:4] == ["AT", "ATE0", "AT+CMEE=1", "AT+CPIN?"]
    assert device.commands[4:] == [
        "AT+CMGF=0",
        "AT+CNMI=2,1,0,1,0",
        'AT+CPMS="SM","SM","SM"',
        "AT+CREG?",
        "AT+CSCA?",
    ]


def test_open_keeps_trying_at_until_the_modem_listens(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT"] = script(b"\xff\x00garbage", None, "OK")
    modems.opened()
    assert device.commands.count("AT") == 3


def test_a_silent_device_is_a_timeout_not_a_hang(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT"] = None
    with pytest.raises(ModemTimeout):
        modems.opened()
    assert device.commands.count("AT") == 5


def test_a_refused_pin_is_never_offered_again(device: FakeDevice, modems: Modems) -> None:
    device.replies.update(PIN_LOCKED)
    device.replies['AT+CPIN="1234"'] = "+CME ERROR: 16"
    modem = modems(pin="1234")
    with pytest.raises(PinRefused) as caught:
        modem.open()
    assert caught.value.state == "pin-refused" and caught.value.permanent
    with pytest.raises(PinRefused):
        modem.open()
    with pytest.raises(PinRefused):
        modem.open()
    assert device.count(b'AT+CPIN="1234"') == 1
    assert device.commands.count("AT+CPIN?") == 3


def test_a_verbose_pin_refusal_counts_as_a_refusal(device: FakeDevice, modems: Modems) -> None:
    device.replies.update(PIN_LOCKED)
    device.replies['AT+CPIN="1234"'] = "+CME ERROR: incorrect password"
    with pytest.raises(PinRefused):
        modems.opened(pin="1234")


def test_a_pin_entry_with_no_answer_is_not_retried_either(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies.update(PIN_LOCKED)
    device.replies['AT+CPIN="1234"'] = None
    modem = modems(pin="1234")
    with pytest.raises(ModemTimeout):
        modem.open()
    with pytest.raises(PinRefused):
        modem.open()
    assert device.count(b'AT+CPIN="1234"') == 1


def test_the_pin_is_entered_and_a_busy_sim_waited_for(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CPIN?"] = script("+CPIN: SIM PIN\nOK", "+CME ERROR: 14", "+CPIN: READY\nOK")
    device.replies['AT+CPIN="1234"'] = "OK"
    device.replies["AT+CMGF=0"] = script("+CMS ERROR: 314", "OK")
    modems.opened(pin="1234")
    assert device.count(b'AT+CPIN="1234"') == 1
    assert device.commands.count("AT+CMGF=0") == 2


def test_a_sim_asking_for_a_pin_with_none_configured_is_not_ready(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies.update(PIN_LOCKED)
    with pytest.raises(ModemNotReady) as caught:
        modems.opened()
    assert caught.value.state == "pin-required"
    assert b"AT+CPIN=" not in device.received


def test_a_modem_that_is_not_ready_can_still_say_why(device: FakeDevice, modems: Modems) -> None:
    device.replies.update(PIN_LOCKED)
    device.replies.update({"AT+CGMI": "huawei\nOK", "AT+CIMI": "+CME ERROR: 11"})
    modem = modems(pin="")
    with pytest.raises(ModemNotReady):
        modem.open()
    assert modem.identity().manufacturer == "huawei"
    assert modem.network().sim == "pin-required"
    modem.close()
    device.replies['AT+CPIN="1234"'] = "+CME ERROR: 16"
    modem = modems(pin="1234")
    with pytest.raises(PinRefused):
        modem.open()
    assert modem.network().sim == "pin-refused"


def test_a_phone_lock_is_not_offered_the_sim_pin(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CPIN?"] = "+CPIN: PH-SIM PIN\nOK"
    with pytest.raises(ModemNotReady) as caught:
        modems.opened(pin="1234")
    assert caught.value.state == "sim-locked"
    assert b"AT+CPIN=" not in device.received


@pytest.mark.parametrize("pin", ["12", "123456789", "12a4", '1"; AT+CFUN=1,1'])
def test_a_pin_that_cannot_be_a_pin_is_refused_before_any_port_opens(pin: str) -> None:
    with pytest.raises(ValueError, match="4 to 8 digits"):
        AtModem("dongle1", "/dev/null", pin=pin)


def test_a_missing_sim_is_not_ready(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CPIN?"] = "+CME ERROR: 10"
    with pytest.raises(ModemNotReady) as caught:
        modems.opened()
    assert caught.value.state == "no-sim"


def test_refused_indication_and_store_forms_fall_back(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CNMI=2,1,0,1,0"] = "+CMS ERROR: 303"
    device.replies["AT+CNMI=2,1,0,2,0"] = "OK"
    device.replies['AT+CPMS="SM","SM","SM"'] = "ERROR"
    device.replies['AT+CPMS="ME","ME","ME"'] = "+CPMS: 0,100,0,100,0,100\nOK"
    modems.opened()
    assert "AT+CNMI=2,1,0,2,0" in device.commands
    assert 'AT+CPMS="ME","ME","ME"' in device.commands


def test_open_waits_for_registration_then_gives_up(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CREG?"] = "+CREG: 0,2\nOK"
    device.replies["AT+CEREG?"] = "+CEREG: 0,2\nOK"
    started = time.monotonic()
    with pytest.raises(ModemNotReady) as caught:
        modems.opened(registration_timeout=0.6)
    assert caught.value.state == "not-registered"
    assert time.monotonic() - started > 0.5  # it waited for registration, not less
    assert device.commands.count("AT+CREG?") >= 2


def test_an_lte_module_registered_only_on_eps_is_registered(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies["AT+CREG?"] = "+CREG: 0,0\nOK"
    device.replies["AT+CEREG?"] = "+CEREG: 0,1\nOK"
    modem = modems.opened()
    assert modem.network().registration == "home"


def test_an_unknown_service_centre_is_asked_again_then_not_ready(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies["AT+CSCA?"] = script('+CSCA: "",129\nOK', '+CSCA: "",129\nOK', "+CMS ERROR: 330")
    with pytest.raises(ModemNotReady) as caught:
        modems.opened()
    assert caught.value.state == "no-service-centre"
    assert device.commands.count("AT+CSCA?") >= 2


def test_a_service_centre_that_appears_late_is_waited_for(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies["AT+CSCA?"] = script('+CSCA: "",129\nOK', '+CSCA: "+447700900999",145\nOK')
    modems.opened()
    assert device.commands.count("AT+CSCA?") == 2


# -- sending -------------------------------------------------------------------------------


def test_send_returns_the_reference_of_each_part(device: FakeDevice, modems: Modems) -> None:
    modem = modems.opened()
    sent = modem.send(TO, "Stag seen near Glen Lodge " * 8)  # 208 characters: 2 parts
    assert sent.references == (1, 2)
    decoded = [decode_submit(pdu) for pdu in device.pdus]
    assert [d.to for d in decoded] == [TO, TO]
    assert "".join(d.text for d in decoded) == "Stag seen near Glen Lodge " * 8
    concat = [d.concat for d in decoded]
    assert concat[0] is not None and concat[1] is not None
    assert concat[0].ref == concat[1].ref and (concat[0].part, concat[1].part) == (1, 2)


def test_each_long_message_gets_its_own_concatenation_reference(
    device: FakeDevice, modems: Modems
) -> None:
    modem = modems.opened()
    for _ in range(3):
        modem.send(TO, "x" * 200)
    refs = [c.ref for c in (decode_submit(p).concat for p in device.pdus) if c is not None]
    assert len(refs) == 6
    assert refs[0] == refs[1] != refs[2] == refs[3] != refs[4] == refs[5]


def test_the_cmgs_length_is_the_tpdu_length(device: FakeDevice, modems: Modems) -> None:
    modem = modems.opened()
    modem.send(TO, "Gate open at Hill Farm")
    pdu = device.pdus[0]
    smsc_octets = int(pdu[:2], 16)
    assert f"AT+CMGS={len(pdu) // 2 - 1 - smsc_octets}" in device.commands


def test_cmms_opens_a_burst_once_not_once_per_message(device: FakeDevice, modems: Modems) -> None:
    modem = modems.opened()
    for _ in range(3):
        modem.send(TO, "x" * 200)
    assert device.commands.count("AT+CMMS=2") == 1
    first_cmgs = next(i for i, c in enumerate(device.commands) if c.startswith("AT+CMGS="))
    assert device.commands.index("AT+CMMS=2") == first_cmgs - 1


def test_a_modem_that_refuses_cmms_is_not_asked_again(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CMMS=2"] = "ERROR"
    modem = modems.opened()
    modem.send(TO, "one")
    modem._last_send = None  # as if a new burst began
    modem.send(TO, "two")
    assert device.commands.count("AT+CMMS=2") == 1
    assert len(device.pdus) == 2


def test_a_garbled_cmgs_reply_raises_garbled_reply(device: FakeDevice, modems: Modems) -> None:
    device.replies["PDU"] = "+CMGS: banana\nOK"
    modem = modems.opened()
    with pytest.raises(GarbledReply):
        modem.send(TO, "Fox in the hen house")


def test_a_send_that_the_network_refuses_raises_cms_error(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies["PDU"] = "+CMS ERROR: 42"
    modem = modems.opened()
    with pytest.raises(CmsError) as caught:
        modem.send(TO, "Fox in the hen house")
    assert (caught.value.code, caught.value.permanent) == (42, False)


def test_a_number_the_codec_cannot_encode_is_a_permanent_modem_error(modems: Modems) -> None:
    modem = modems.opened()
    with pytest.raises(Exception) as caught:
        modem.send("not a number", "hello")
    assert getattr(caught.value, "permanent", None) is True


# -- the store, identity, network, events ----------------------------------------------------

STORED = "07914477790000F0040C914477009001230000422160215043400541F45B0D02"


def test_list_stored_reads_every_entry_even_with_a_cmti_between(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies["AT+CMGL=4"] = (
        f'+CMGL: 1,0,,24\n{STORED}\n+CMTI: "SM",3\n+CMGL: 2,1,,24\n{STORED}\nOK'
    )
    modem = modems.opened()
    stored = modem.list_stored()
    assert [(s.index, s.status, s.pdu) for s in stored] == [(1, 0, STORED), (2, 1, STORED)]
    event = modems.wait_for("message")
    assert (event.index, event.storage) == (3, "SM")


def test_a_garbled_listing_entry_is_skipped_not_fatal(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CMGL=4"] = f"+CMGL: x,0,,24\n{STORED}\n+CMGL: 2,0,,24\n{STORED}\nOK"
    modem = modems.opened()
    assert [s.index for s in modem.list_stored()] == [2]


def test_read_stored_and_its_empty_slots(device: FakeDevice, modems: Modems) -> None:
    device.replies["AT+CMGR=1"] = f"+CMGR: 0,,24\n{STORED}\nOK"
    device.replies["AT+CMGR=2"] = "OK"
    device.replies["AT+CMGR=3"] = "+CMS ERROR: 321"
    modem = modems.opened()
    stored = modem.read_stored(1)
    assert stored is not None and (stored.index, stored.pdu, stored.status) == (1, STORED, 0)
    assert modem.read_stored(2) is None
    assert modem.read_stored(3) is None


def test_deleting_an_empty_slot_is_done_but_other_errors_raise(
    device: FakeDevice, modems: Modems
) -> None:
    device.replies["AT+CMGD=1"] = "OK"
    device.replies["AT+CMGD=2"] = "+CMS ERROR: 321"
    device.replies["AT+CMGD=3"] = "+CMS ERROR: 500"
    modem = modems.opened()
    modem.delete_stored(1)
    modem.delete_stored(2)
    with pytest.raises(CmsError):
        modem.delete_stored(3)


def test_identity(device: FakeDevice, modems: Modems) -> None:
    device.replies.update(
        {
            "AT+CGMI": "huawei\nOK",
            "AT+CGMM": "E3372\nOK",
            "AT+CGMR": "22.315.01.00.00\nOK",
            "AT+CGSN": "356938035643809\nOK",
            "AT+CIMI": "+CME ERROR: 11",
        }
    )
    identity = modems.opened().identity()
    assert (identity.manufacturer, identity.model, identity.revision) == (
        "huawei",
        "E3372",
        "22.315.01.00.00",
    )
    assert (identity.imei, identity.imsi) == ("356938035643809", "")


def test_network(device: FakeDevice, modems: Modems) -> None:
    device.replies.update(
        {
            "AT+CREG?": "+CREG: 0,5\nOK",
            "AT+COPS=3,0": "OK",
            "AT+COPS?": '+COPS: 0,0,"EE",7\nOK',
            "AT+CSQ": "+CSQ: 18,99\nOK",
        }
    )
    state = modems.opened().network()
    assert (state.registration, state.operator, state.rssi, state.sim) == (
        "roaming",
        "EE",
        18,
        "ready",
    )
    assert state.dbm == -77


def test_new_messages_and_status_reports_become_events(device: FakeDevice, modems: Modems) -> None:
    modems.opened()
    report = "0006D60B914477009001F3422160215043404221602150434000"
    device.push('^RSSI: 17\n+CMTI: "SM",4')
    device.push(f"+CDS: 25\n{report}")
    device.push('+CDSI: "SM",9\nRING')
    event = modems.wait_for("message")
    assert (event.index, event.storage) == (4, "SM")
    modems.wait_for("other")  # the RING, pushed last: the reports came before it
    reports = [e for e in modems.events if e.kind == "status-report"]
    assert [(r.pdu, r.index) for r in reports] == [(report, None), ("", 9)]
    assert [e.line for e in modems.events if e.kind == "other"] == ["RING"]
