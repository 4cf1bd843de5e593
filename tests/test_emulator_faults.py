"""The emulator plays the faults of a modem in the field, seen by a real pyserial client."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial
from procs import SMSGW, start_emulator, stop, wait_for
from test_emulator import Client

from hardware.at.commands import Timeouts
from hardware.at.modem import AtModem
from hardware.emulator import BadFault, Emulator
from hardware.emulator.cli import _emulator, build_parser, main
from hardware.emulator.session import TRACE
from hardware.pdu import decode_status_report, encode_submit

TO = "+447700900201"
DEAD = "+447700900999"
FAST = Timeouts(default=2.0, sync=0.5, prompt=2.0, cmgs=2.0, service_centre=1.0)


def send(client: Client, to: str = TO, text: str = "Fox at Long Lane", report: bool = False) -> str:
    """The answer to one AT+CMGS: "+CMGS: <mr>" or the error line."""
    [part] = encode_submit(to, text, status_report=report)
    answer = client.exchange(f"AT+CMGS={part.tpdu_length}\r".encode())
    if not answer.endswith(b"\r\n> "):
        return answer.decode().strip()
    raw = client.exchange(part.pdu.encode() + b"\x1a").decode()
    return next(line for line in raw.split("\r\n") if line)


def silence(client: Client, line: bytes = b"AT\r", wait: float = 0.4) -> bytes:
    """What the modem says within `wait` seconds of `line`: b"" from a hung one."""
    client.serial.reset_input_buffer()
    client.serial.write(line)
    time.sleep(wait)  # a check that nothing comes: only a wait can show it
    return client.serial.read(client.serial.in_waiting)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def port(emulator: Emulator) -> Iterator[Client]:
    with Client(emulator.device) as client:
        client.at("AT+CMEE=1")
        yield client


# ---- the SIM ----------------------------------------------------------------------------


def test_without_a_sim_sim_and_sms_commands_are_refused() -> None:
    with Emulator(sim="absent") as emu, Client(emu.device) as p:
        p.at("AT+CMEE=1")
        assert p.at("AT+CPIN?") == ["+CME ERROR: 10"]
        assert p.at("AT+CIMI") == ["+CME ERROR: 10"]
        assert p.at("AT+CREG?") == ["+CREG: 0,0", "OK"]
        assert p.at("AT+COPS?") == ["+COPS: 0", "OK"]
        assert p.at("AT+CMGL=4") == ["+CMS ERROR: 310"]
        assert p.exchange(b"AT+CMGS=20\r") == b"\r\n+CMS ERROR: 310\r\n"
        emu.faults.update(sim="ready")
        assert p.at("AT+CPIN?;+CREG?") == ["+CPIN: READY", "+CREG: 0,1", "OK"]


def test_a_sim_swapped_in_asks_for_the_pin_though_the_client_unlocked_before() -> None:
    with Emulator(pin="4321") as emu, Client(emu.device) as p:
        p.at("AT+CMEE=1")
        assert p.at('AT+CPIN="4321"') == ["OK"]
        emu.faults.update(sim="pin")
        assert p.at("AT+CPIN?;+CREG?") == ["+CPIN: SIM PIN", "+CREG: 0,0", "OK"]
        assert p.at("AT+CMGL=4") == ["+CMS ERROR: 311"]
        assert p.at('AT+CPIN="4321"') == ["OK"]
        assert p.at("AT+CPIN?") == ["+CPIN: READY", "OK"]


def test_a_swapped_sim_asks_for_0000_when_no_pin_was_configured(
    emulator: Emulator, port: Client
) -> None:
    emulator.faults.update(sim="pin")
    assert port.at('AT+CPIN="1234"') == ["+CME ERROR: 16"]
    assert port.at('AT+CPIN="0000"') == ["OK"]


# ---- network and signal -----------------------------------------------------------------


@pytest.mark.parametrize("stat", [0, 2, 3])
def test_without_registration_there_is_no_operator_and_sends_fail_with_331(
    emulator: Emulator, port: Client, stat: int
) -> None:
    emulator.faults.update(registration=stat)
    assert port.at("AT+CREG?;+CEREG?;+COPS?") == [
        f"+CREG: 0,{stat}",
        f"+CEREG: 0,{stat}",
        "+COPS: 0",
        "OK",
    ]
    assert send(port) == "+CMS ERROR: 331"
    assert emulator.sent == []


def test_roaming_is_registered_and_sends(emulator: Emulator, port: Client) -> None:
    emulator.faults.update(registration=5)
    assert port.at("AT+CREG?;+COPS?") == ["+CREG: 0,5", '+COPS: 0,0,"EE",7', "OK"]
    assert send(port) == "+CMGS: 0"


def test_a_registration_change_is_announced_when_creg_asks(
    emulator: Emulator, port: Client
) -> None:
    port.at("AT+CREG=1")
    emulator.faults.update(registration=2, rssi=0)
    assert port.read_lines(1) == ["+CREG: 2"]
    emulator.faults.update(rssi=12)  # no change in registration: nothing said
    assert port.unsolicited() == b""
    emulator.faults.update(registration=1)
    assert port.read_lines(1) == ["+CREG: 1"]


def test_signal_strength_follows_the_rssi_fault(emulator: Emulator, port: Client) -> None:
    assert port.at("AT+CSQ") == ["+CSQ: 23,99", "OK"]
    emulator.faults.update(rssi=4)
    assert port.at("AT+CSQ") == ["+CSQ: 4,99", "OK"]
    emulator.faults.update(rssi=99)
    assert port.at("AT+CSQ") == ["+CSQ: 99,99", "OK"]


def test_no_cgatt_makes_the_attach_query_an_error_and_leaves_the_rest(
    emulator: Emulator, port: Client
) -> None:
    assert port.at("AT+CGATT?") == ["+CGATT: 1", "OK"]
    emulator.faults.update(no_cgatt=True)
    assert port.at("AT+CGATT?") == ["ERROR"]
    assert port.at("AT+CREG?") == ["+CREG: 0,1", "OK"]
    assert send(port).startswith("+CMGS: ")
    with pytest.raises(BadFault):
        emulator.faults.update(no_cgatt="yes")


def test_the_at_driver_reads_each_fault_as_network_state(emulator: Emulator) -> None:
    modem = AtModem("emu", emulator.device, timeouts=FAST, registration_timeout=1.0)
    modem.open()
    try:
        emulator.faults.update(registration=3, rssi=0)
        state = modem.network()
        assert (state.registration, state.operator, state.rssi) == ("denied", "", 0)
        emulator.faults.update(registration=5, rssi=99)
        state = modem.network()
        assert (state.registration, state.operator, state.rssi) == ("roaming", "EE", None)
        emulator.faults.update(sim="absent")
        assert modem.network().sim == "no-sim"
    finally:
        modem.close()


# ---- the hung dongle --------------------------------------------------------------------


def test_a_muted_modem_answers_nothing_and_recovers_when_unmuted(
    emulator: Emulator, port: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(TRACE, logger="hardware.emulator.session")
    port.serial.write(b"AT+CMGF")  # half a line, then the modem hangs
    wait_for(lambda: "AT+CMGF" in caplog.text, 10, "the half line to reach the modem")
    emulator.faults.update(mute=True)
    assert silence(port) == b""
    assert silence(port, b"ATE1\r") == b""  # nothing echoed, and not obeyed either
    emulator.inject("+447700900202", "while hung")  # stored; its +CMTI is lost
    emulator.faults.update(mute=False)
    assert port.exchange(b"AT\r") == b"\r\nOK\r\n"  # no echo; the half line forgotten
    assert port.at("AT+CMGF?") == ["+CMGF: 0", "OK"]
    assert port.at("AT+CPMS?")[0].startswith('+CPMS: "SM",1,30')


# ---- refused sends ----------------------------------------------------------------------


def test_every_nth_send_gets_the_chosen_cms_error() -> None:
    with Emulator(cms_error=500, cms_every=2) as emu, Client(emu.device) as p:
        assert [send(p) for _ in range(4)] == [
            "+CMGS: 0",
            "+CMS ERROR: 500",
            "+CMGS: 1",
            "+CMS ERROR: 500",
        ]
        emu.faults.update(cms_error=42)  # a new code keeps the period, counted from now
        assert [send(p) for _ in range(2)] == ["+CMGS: 2", "+CMS ERROR: 42"]
        emu.faults.update(cms_error=None)
        assert send(p) == "+CMGS: 3"
        emu.faults.update(cms_error=27)  # with no period set, a code alone fails every send
        assert [send(p) for _ in range(2)] == ["+CMS ERROR: 27"] * 2
        emu.faults.update(cms_every=0)
        emu.network.fail_every = 3  # the older attribute still works: code 38
        assert [send(p) for _ in range(3)] == ["+CMGS: 4", "+CMGS: 5", "+CMS ERROR: 38"]
    assert [r.code for r in emu.refused] == [500, 500, 42, 27, 27, 38]


def test_a_dead_number_always_fails_and_never_blocks_the_rest() -> None:
    with Emulator(cms_error_to={DEAD: 1}, fail_every=3) as emu, Client(emu.device) as p:
        answers = [send(p, to) for to in (DEAD, TO, DEAD, TO, DEAD, TO)]
    assert answers == [
        "+CMS ERROR: 1",
        "+CMGS: 0",
        "+CMS ERROR: 1",
        "+CMGS: 1",
        "+CMS ERROR: 1",
        "+CMS ERROR: 38",  # the third send that reached the network, not the sixth
    ]
    assert [part.to for part in emu.sent] == [TO, TO]
    assert [(r.to, r.code) for r in emu.refused] == [(DEAD, 1)] * 3 + [(TO, 38)]


def test_bad_fault_values_are_refused_and_change_nothing(emulator: Emulator) -> None:
    for bad in (
        {"sim": "gone"},
        {"registration": 9},
        {"rssi": 40},
        {"mute": "yes"},
        {"cms_error": 0},
        {"cms_error_to": {"not a number": 1}},
        {"report_failures": 1.5},
        {"report_delay": -1},
        {"rssi": 5, "colour": "red"},
    ):
        with pytest.raises(BadFault):
            emulator.faults.update(bad)
    assert emulator.faults.now.rssi == 23
    with pytest.raises(BadFault):
        Emulator(registration=7)


# ---- status reports ---------------------------------------------------------------------


def test_a_delayed_report_arrives_after_the_delay_without_holding_up_the_session() -> None:
    with Emulator(report_delay=0.5) as emu, Client(emu.device) as p:
        p.at("AT+CNMI=2,1,0,1,0")
        assert send(p, report=True) == "+CMGS: 0"
        answered = time.monotonic()
        assert p.at("AT+CSQ") == ["+CSQ: 23,99", "OK"]
        assert time.monotonic() - answered < 0.4  # not held up by the 0.5 s report
        header, pdu = p.read_lines(2)
        arrived = time.monotonic() - answered
    assert header.startswith("+CDS: ")
    assert decode_status_report(pdu).delivered
    assert 0.45 <= arrived < 1.5


def test_a_report_failure_share_of_one_gives_incompatible_destination() -> None:
    with Emulator(report_failures=1.0) as emu, Client(emu.device) as p:
        p.at("AT+CNMI=2,1,0,1,0")
        send(p, report=True)
        _, pdu = p.read_lines(2)
    report = decode_status_report(pdu)
    assert (report.status, report.delivered, report.final) == (0x41, False, True)
    assert (report.message_ref, report.recipient) == (0, TO)


def test_a_report_failure_share_is_spread_evenly(emulator: Emulator, port: Client) -> None:
    emulator.faults.update(report_failures=0.5)
    for _ in range(4):
        send(port, report=True)
    assert [r.status for r in emulator.reports] == [0x00, 0x41, 0x00, 0x41]


def test_with_ds_2_a_report_is_stored_and_announced_with_cdsi(port: Client) -> None:
    port.at("AT+CNMI=2,1,0,2,0")
    assert send(port, report=True) == "+CMGS: 0"
    assert port.read_lines(1) == ['+CDSI: "SM",1']
    header, pdu, ok = port.at("AT+CMGR=1")
    assert (header, ok) == (f"+CMGR: 0,,{len(pdu) // 2 - 1}", "OK")
    assert decode_status_report(pdu).recipient == TO
    port.at("AT+CMGF=1")
    [line, _] = port.at("AT+CMGR=1")
    assert line.startswith(f'+CMGR: "REC READ",6,0,"{TO}",145,"')
    assert line.endswith(",0")


def test_a_pending_report_does_not_hold_up_stop() -> None:
    emu = Emulator(report_delay=30)
    emu.start()
    with Client(emu.device) as p:
        p.at("AT+CNMI=2,1,0,1,0")
        send(p, report=True)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1


# ---- unplugged --------------------------------------------------------------------------


def test_vanish_unplugs_and_the_modem_returns_on_a_new_pty_behind_the_link(
    tmp_path: Path,
) -> None:
    link = tmp_path / "gsm-modem"
    with Emulator(link=str(link), pin="4321", rssi=11) as emu:
        first = os.readlink(link)
        emu.inject("+447700900203", "kept in the SIM")
        with Client(str(link)) as p:
            assert p.at('AT+CPIN="4321";+CMGF=1') == ["OK"]
            emu.vanish(0.3)
            assert not emu.present and not link.exists()
            with pytest.raises(serial.SerialException):
                p.serial.write(b"AT\r")
                p.serial.read(10)
            assert emu.wait_present(3)
        second = os.readlink(link)
        assert second != first and second.startswith("/dev/pts/")
        with Client(str(link), echo=True) as p:
            assert p.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"  # power-on: echo is back
            assert p.at("AT+CGSN") == ["356938035643809", "OK"]
            assert p.at("AT+CSQ;+CMGF?;+CPIN?") == [
                "+CSQ: 11,99",
                "+CMGF: 0",
                "+CPIN: SIM PIN",
                "OK",
            ]
            assert p.at('AT+CPIN="4321";+CPMS?')[0].startswith('+CPMS: "SM",1,30')


def test_vanish_can_bring_the_modem_back_under_another_name(tmp_path: Path) -> None:
    old, new = tmp_path / "ttyUSB2", tmp_path / "ttyUSB5"
    with Emulator(link=str(old)) as emu:
        first = os.readlink(old)
        emu.vanish(0.1, new_link=str(new))
        assert emu.wait_present(3)
        assert not old.exists() and os.readlink(new) != first
        assert emu.device == str(new)
        with Client(str(new)) as p:
            assert p.at("AT") == ["OK"]


def test_without_a_link_the_modem_returns_on_another_device_path(emulator: Emulator) -> None:
    first = emulator.device
    with Client(first) as p:
        p.at("AT")
    emulator.vanish(0)  # nobody holds the old pty open: the kernel could hand it out again
    assert emulator.wait_present(3)
    assert emulator.device != first
    with Client(emulator.device) as p:
        assert p.at("AT") == ["OK"]


def test_faults_changing_from_another_thread_never_garble_an_answer(
    emulator: Emulator, port: Client
) -> None:
    done = threading.Event()

    def flicker() -> None:
        while not done.is_set():
            for rssi in (3, 17, 99):
                emulator.faults.update(rssi=rssi)
                time.sleep(0.0005)  # changes between answers and during them, not a GIL hog

    changer = threading.Thread(target=flicker)
    changer.start()
    try:
        seen = {port.at("AT+CSQ")[0] for _ in range(200)}
    finally:
        done.set()
        changer.join()
    assert seen <= {"+CSQ: 3,99", "+CSQ: 17,99", "+CSQ: 99,99"}
    assert len(seen) > 1


# ---- the control file and the command line ----------------------------------------------


def write_control(path: Path, faults: dict[str, object] | str) -> None:
    """As a test should: write elsewhere, then rename into place in one step."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(faults if isinstance(faults, str) else json.dumps(faults))
    os.replace(tmp, path)


def answers(client: Client, command: str, expected: list[str]) -> bool:
    return client.at(command) == expected


@pytest.mark.slow
def test_the_control_file_changes_a_running_emulator_process(tmp_path: Path) -> None:
    link, control = tmp_path / "modem", tmp_path / "faults.json"
    write_control(control, {"rssi": 9})
    proc = start_emulator(link, tmp_path / "sent.jsonl", "--control", str(control))
    try:
        with Client(str(link)) as p:
            p.at("AT+CMEE=1")
            assert p.at("AT+CSQ") == ["+CSQ: 9,99", "OK"]  # applied before the first command
            write_control(control, {"sim": "absent"})
            wait_for(lambda: answers(p, "AT+CPIN?", ["+CME ERROR: 10"]), 3, "no SIM")
            write_control(control, "{not json")  # ignored; the process carries on
            write_control(control, {"sim": "ready", "registration": 2, "rssi": 0})
            wait_for(lambda: answers(p, "AT+CSQ", ["+CSQ: 0,99", "OK"]), 3, "no signal")
            assert p.at("AT+CREG?") == ["+CREG: 0,2", "OK"]
            write_control(control, {"mute": True})
            wait_for(lambda: silence(p) == b"", 3, "a hung modem")
            write_control(control, {"mute": False, "registration": 1})
            wait_for(lambda: silence(p) == b"\r\nOK\r\n", 3, "the modem back")
        new_link = tmp_path / "modem-replugged"
        write_control(control, {"vanish": 0.3, "new_link": str(new_link)})
        wait_for(new_link.exists, 15, "the modem under its new name")
        assert not link.exists()
        with Client(str(new_link)) as p:
            assert p.at("AT+CSQ") == ["+CSQ: 0,99", "OK"]
        assert proc.poll() is None
    finally:
        stop(proc)
    assert proc.returncode == 0


@pytest.mark.slow
def test_fault_flags_start_a_process_with_those_faults(tmp_path: Path) -> None:
    link = tmp_path / "modem"
    proc = start_emulator(link, tmp_path / "sent.jsonl", "--rssi", "3", "--not-registered")
    try:
        with Client(str(link)) as p:
            assert p.at("AT+CSQ;+CREG?") == ["+CSQ: 3,99", "+CREG: 0,0", "OK"]
            assert send(p) == "+CMS ERROR: 331"
    finally:
        stop(proc)


def test_every_fault_flag_reaches_the_emulator(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["--no-sim", "--registration", "5", "--rssi", "99", "--cms-error", "500",
         "--fail-every", "4", "--cms-error-to", f"{DEAD}=1", "--report-delay", "2.5",
         "--report-failures", "0.25", "--control", str(tmp_path / "c.json")]
    )  # fmt: skip
    faults = _emulator(args).faults.now
    assert (faults.sim, faults.registration, faults.rssi) == ("absent", 5, 99)
    assert (faults.cms_error, faults.cms_every, dict(faults.cms_error_to)) == (500, 4, {DEAD: 1})
    assert (faults.report_delay, faults.report_failures) == (2.5, 0.25)
    alone = _emulator(build_parser().parse_args(["--cms-error", "27"])).faults.now
    assert (alone.cms_error, alone.cms_every) == (27, 1)
    shortcut = _emulator(build_parser().parse_args(["--fail-every", "3"])).faults.now
    assert (shortcut.cms_error, shortcut.cms_every) == (38, 3)


@pytest.mark.parametrize(
    "flags",
    [
        ["--rssi", "40"],
        ["--report-failures", "2"],
        ["--report-delay", "nan"],
        ["--cms-error", "0"],
        ["--cms-error-to", "+447700900999"],
        ["--registration", "9"],
    ],
)
def test_bad_fault_flags_are_bad_usage(flags: list[str]) -> None:
    assert main(flags) == 2


def test_a_bad_control_file_is_ignored_until_it_is_fixed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    control = tmp_path / "faults.json"
    write_control(control, {"rssi": 5, "colour": "red"})
    with Emulator(control=str(control)) as emu:
        assert emu.faults.now.rssi == 23
        write_control(control, {"vanish": "soon"})
        wait_for(
            lambda: sum("ignored" in r.getMessage() for r in caplog.records) == 2,
            3,
            "the bad vanish to be read and refused",
        )
        assert emu.present
        write_control(control, {"rssi": 5})
        wait_for(lambda: emu.faults.now.rssi == 5, 10, "the fixed file")


def test_the_same_control_file_written_again_is_applied_again(tmp_path: Path) -> None:
    control = tmp_path / "faults.json"
    with Emulator(control=str(control)) as emu, Client(emu.device) as p:
        write_control(control, {"mute": True})
        wait_for(lambda: emu.faults.now.mute, 10, "mute")
        emu.faults.update(mute=False)  # the Python API and the file both set faults
        assert p.at("AT") == ["OK"]
        write_control(control, {"mute": True})
        wait_for(lambda: emu.faults.now.mute, 10, "mute again")


def test_smsgw_emulator_help_lists_the_fault_flags() -> None:
    out = subprocess.run(
        [*SMSGW, "emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in ("--control", "--report-delay", "--report-failures", "--rssi", "--no-sim",
                 "--not-registered", "--cms-error", "--fail-every"):  # fmt: skip
        assert flag in out
