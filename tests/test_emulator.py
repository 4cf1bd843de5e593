"""The AT modem emulator on a real pseudo-terminal, driven by a real pyserial client."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import serial
from procs import wait_for

from hardware.emulator import Emulator, StoreFull
from hardware.emulator.parser import Command, LineSyntaxError, parse_line
from hardware.pdu import decode_deliver, decode_status_report, encode_submit

FINAL = re.compile(rb"\r\n(?:OK|ERROR|\+CM[ES] ERROR: [^\r\n]*)\r\n|\r\n> ")
WAIT = 3.0  # seconds; answers and URCs normally arrive within a millisecond


class Client:
    """A bare pyserial AT client with one read buffer, so a URC right after an answer is kept."""

    def __init__(self, device: str, *, echo: bool = False) -> None:
        self.serial = serial.Serial(device, timeout=0.05)
        self._pending = b""
        if not echo:
            self.at("ATE0")

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.serial.close()

    def _read_more(self, deadline: float, waiting_for: str) -> None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {waiting_for} within {WAIT} s; got {self._pending!r}")
        self._pending += self.serial.read(self.serial.in_waiting or 1)

    def exchange(self, data: bytes) -> bytes:
        """Write `data`; the raw bytes up to and with the final result code or `> ` prompt."""
        self.serial.write(data)
        deadline = time.monotonic() + WAIT
        while (match := FINAL.search(self._pending)) is None:
            self._read_more(deadline, f"answer to {data!r}")
        answer, self._pending = self._pending[: match.end()], self._pending[match.end() :]
        return answer

    def at(self, command: str) -> list[str]:
        """The non-empty lines of the answer to one command line, echo excluded."""
        raw = self.exchange(command.encode() + b"\r").decode().removeprefix(command + "\r")
        return [line for line in raw.split("\r\n") if line]

    def read_lines(self, count: int) -> list[str]:
        """The next `count` non-empty lines the modem says on its own (URCs)."""
        deadline = time.monotonic() + WAIT
        while len(lines := [x for x in self._pending.decode().split("\r\n")[:-1] if x]) < count:
            self._read_more(deadline, f"{count} line(s)")
        assert len(lines) == count, lines
        self._pending = b""
        return lines

    def unsolicited(self) -> bytes:
        """Whatever the modem said on its own in the last 0.1 s."""
        time.sleep(0.1)  # a check that nothing came: only a wait can show it
        self._pending += self.serial.read(self.serial.in_waiting)
        said, self._pending = self._pending, b""
        return said

    def send_pdu(self, pdu: str, length: int) -> list[str]:
        assert self.exchange(f"AT+CMGS={length}\r".encode()).endswith(b"\r\n> ")
        raw = self.exchange(pdu.encode() + b"\x1a").decode().removeprefix(pdu)  # echo, if on
        return [line for line in raw.split("\r\n") if line]


@pytest.fixture
def sent_log(tmp_path: Path) -> Path:
    return tmp_path / "sent.jsonl"


@pytest.fixture
def emulator(sent_log: Path) -> Iterator[Emulator]:
    emu = Emulator(log_path=str(sent_log))
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def port(emulator: Emulator) -> Iterator[Client]:
    with Client(emulator.device) as client:
        yield client


# ---- the command line parser ------------------------------------------------------------


def test_it_splits_chained_basic_and_extended_commands() -> None:
    assert parse_line('ATE0V1+CMGF=0;+CPIN="12;34";+CSQ') == [
        Command("E", "exec", "0"),
        Command("V", "exec", "1"),
        Command("+CMGF", "set", "0"),
        Command("+CPIN", "set", '"12;34"'),
        Command("+CSQ", "exec"),
    ]
    assert parse_line("at+cmgl=?")[0] == Command("+CMGL", "test")
    assert parse_line("AT+CREG?")[0] == Command("+CREG", "read")
    with pytest.raises(LineSyntaxError):
        parse_line("hello")


# ---- basics ---------------------------------------------------------------------------------


def test_it_echoes_commands_until_echo_is_turned_off(emulator: Emulator) -> None:
    with Client(emulator.device, echo=True) as p:
        assert p.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"
        assert p.exchange(b"ATE0\r") == b"ATE0\r\r\nOK\r\n"
        assert p.exchange(b"AT\r") == b"\r\nOK\r\n"
        assert p.exchange(b"ATE1\r") == b"\r\nOK\r\n"
        assert p.exchange(b"AT\r") == b"AT\r\r\nOK\r\n"


def test_it_identifies_itself(port: Client) -> None:
    assert port.at("AT+CGMI") == ["smsgw", "OK"]
    assert port.at("AT+CGMM") == ["SMSGW-EMU", "OK"]
    assert port.at("AT+CGMR") == ["1.0.0", "OK"]
    assert port.at("AT+CGSN") == ["356938035643809", "OK"]
    assert port.at("AT+CIMI") == ["234301234567890", "OK"]
    assert "IMEI: 356938035643809" in port.at("ATI")


def test_it_reports_network_and_signal(port: Client) -> None:
    assert port.at("AT+CPIN?;+CREG?;+COPS?;+CSQ") == [
        "+CPIN: READY",
        "+CREG: 0,1",
        '+COPS: 0,0,"EE",7',
        "+CSQ: 23,99",
        "OK",
    ]
    assert port.at("AT+CSCA?") == ['+CSCA: "+447700900999",145', "OK"]
    assert port.at("AT+CNUM") == ['+CNUM: "","+447700900000",145', "OK"]


def test_chained_settings_take_effect_together(port: Client) -> None:
    assert port.at("AT+CMGF=0;+CNMI=2,1,0,0,0;+CMMS=2") == ["OK"]
    assert port.at("AT+CMGF?;+CNMI?;+CMMS?") == [
        "+CMGF: 0",
        "+CNMI: 2,1,0,0,0",
        "+CMMS: 2",
        "OK",
    ]
    assert port.at('AT+CPMS="SM","SM","SM"') == ["+CPMS: 0,30,0,30,0,30", "OK"]
    assert port.at('AT+CPMS="XX"') == ["+CMS ERROR: 302"]


def test_unknown_commands_answer_error_as_cmee_asks(port: Client) -> None:
    assert port.at("AT+NOPE") == ["ERROR"]
    port.at("AT+CMEE=1")
    assert port.at("AT+NOPE") == ["+CME ERROR: 100"]
    port.at("AT+CMEE=2")
    assert port.at("AT+NOPE") == ["+CME ERROR: unknown"]


def test_garbage_lines_give_error_and_the_emulator_keeps_answering(port: Client) -> None:
    assert port.at("hello modem") == ["ERROR"]
    assert port.exchange(b"\xff\xfe\x80AT\r") == b"\r\nERROR\r\n"
    assert port.exchange(b"X" * 5000) == b"\r\nERROR\r\n"
    assert port.at('AT+CPIN="unterminated') == ["ERROR"]
    assert port.at("AT+CMGF=7") == ["ERROR"]
    assert port.at("AT") == ["OK"]


def test_atz_restores_power_on_settings(port: Client) -> None:
    port.at("AT+CMEE=1;+CNMI=2,1")
    assert port.exchange(b"ATZ\r") == b"\r\nOK\r\n"
    assert port.exchange(b"AT+CMEE?\r") == b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"


# ---- sending --------------------------------------------------------------------------------


def test_a_pdu_sent_with_cmgs_is_recorded_and_logged(
    emulator: Emulator, port: Client, sent_log: Path
) -> None:
    [part] = encode_submit("+447700900123", "Fox seen at Long Lane")
    assert port.send_pdu(part.pdu, part.tpdu_length) == ["+CMGS: 0", "OK"]
    [record] = emulator.sent
    assert (record.to, record.text, record.message_ref, record.concat) == (
        "+447700900123",
        "Fox seen at Long Lane",
        0,
        None,
    )
    [line] = sent_log.read_text().splitlines()
    logged = json.loads(line)
    assert datetime.fromisoformat(logged.pop("at")).tzinfo is not None
    assert logged == {
        "to": "+447700900123",
        "text": "Fox seen at Long Lane",
        "pdu": part.pdu,
        "ref": None,
        "part": None,
        "parts": None,
    }


def test_a_long_message_is_logged_as_concatenated_parts(port: Client, sent_log: Path) -> None:
    text = "Road closed by flooding at Ashford Mill. " * 8
    parts = encode_submit("+447700900124", text, concat_ref=77)
    assert len(parts) == 3
    references = [port.send_pdu(p.pdu, p.tpdu_length)[0] for p in parts]
    assert references == ["+CMGS: 0", "+CMGS: 1", "+CMGS: 2"]
    logged = [json.loads(line) for line in sent_log.read_text().splitlines()]
    assert [(x["ref"], x["part"], x["parts"]) for x in logged] == [(77, n, 3) for n in (1, 2, 3)]
    assert "".join(x["text"] for x in logged) == text


def test_a_wrong_length_or_a_bad_pdu_is_refused(emulator: Emulator, port: Client) -> None:
    [part] = encode_submit("+447700900123", "hello")
    assert port.send_pdu(part.pdu, part.tpdu_length + 1) == ["+CMS ERROR: 304"]
    assert port.send_pdu("00ZZ11", 2) == ["+CMS ERROR: 304"]
    assert port.send_pdu("0011000C91", 4) == ["+CMS ERROR: 304"]
    assert emulator.sent == []
    assert port.send_pdu(part.pdu, part.tpdu_length) == ["+CMGS: 0", "OK"]


def test_esc_at_the_prompt_cancels_the_send(emulator: Emulator, port: Client) -> None:
    [part] = encode_submit("+447700900123", "never mind")
    assert port.exchange(f"AT+CMGS={part.tpdu_length}\r".encode()) == b"\r\n> "
    assert port.exchange(part.pdu.encode() + b"\x1b") == b"\r\nOK\r\n"
    assert emulator.sent == []
    assert port.at("AT") == ["OK"]


def test_every_nth_send_fails_with_a_transient_cms_error(tmp_path: Path) -> None:
    log = tmp_path / "sent.jsonl"
    emu = Emulator(fail_every=3, log_path=str(log))
    emu.start()
    try:
        with Client(emu.device) as p:
            [part] = encode_submit("+447700900125", "test")
            answers = [p.send_pdu(part.pdu, part.tpdu_length)[0] for _ in range(6)]
    finally:
        emu.stop()
    assert answers == [
        "+CMGS: 0",
        "+CMGS: 1",
        "+CMS ERROR: 38",
        "+CMGS: 2",
        "+CMGS: 3",
        "+CMS ERROR: 38",
    ]
    assert len(emu.sent) == 4
    assert len(log.read_text().splitlines()) == 4


def test_send_latency_delays_the_answer_not_the_prompt(tmp_path: Path) -> None:
    emu = Emulator(send_latency=0.3)
    emu.start()
    try:
        with Client(emu.device) as p:
            [part] = encode_submit("+447700900126", "slow network")
            started = time.monotonic()
            p.exchange(f"AT+CMGS={part.tpdu_length}\r".encode())
            prompt_after = time.monotonic() - started
            p.exchange(part.pdu.encode() + b"\x1a")
            answer_after = time.monotonic() - started
    finally:
        emu.stop()
    assert prompt_after < 0.2
    assert answer_after >= 0.3


def test_a_status_report_is_sent_when_asked_for(port: Client) -> None:
    port.at("AT+CNMI=2,1,0,1,0")
    [part] = encode_submit("+447700900127", "report please", status_report=True)
    assert port.send_pdu(part.pdu, part.tpdu_length)[0] == "+CMGS: 0"
    header, pdu = port.read_lines(2)
    assert header.startswith("+CDS: ")
    report = decode_status_report(pdu)
    assert int(header.split(": ")[1]) == len(pdu) // 2 - 1 - int(pdu[:2], 16)
    assert (report.message_ref, report.recipient, report.delivered) == (0, "+447700900127", True)


def test_text_mode_sends_and_lists_for_a_person_at_a_terminal(
    emulator: Emulator, port: Client
) -> None:
    port.at("AT+CMGF=1")
    assert port.exchange(b'AT+CMGS="+447700900128"\r') == b"\r\n> "
    assert port.exchange(b"typed by hand\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert emulator.sent[0].text == "typed by hand"
    emulator.inject("+447700900129", "hello there")
    lines = port.at('AT+CMGL="ALL"')
    assert lines[0].startswith('+CMGL: 1,"REC UNREAD","+447700900129",,"')
    assert lines[1:] == ["hello there", "OK"]


def test_each_command_gets_exactly_one_answer(port: Client) -> None:
    """Answers in step with commands (their speed is `make bench`'s `micro` row)."""
    for _ in range(300):
        assert port.exchange(b"AT+CSQ\r").endswith(b"OK\r\n")
    assert port.unsolicited() == b""


# ---- receiving ------------------------------------------------------------------------------


def stored_texts(port: Client, stat: int = 4) -> dict[int, str]:
    """Index -> text of every message AT+CMGL=<stat> lists, decoded as a driver would."""
    lines = port.at(f"AT+CMGL={stat}")
    assert lines[-1] == "OK"
    found = {}
    for header, pdu in zip(lines[0:-1:2], lines[1:-1:2], strict=True):
        index, _, _, length = header.removeprefix("+CMGL: ").split(",")
        assert int(length) == len(pdu) // 2 - 1 - int(pdu[:2], 16)
        found[int(index)] = decode_deliver(pdu).text
    return found


def test_an_injected_message_is_announced_and_readable(emulator: Emulator, port: Client) -> None:
    port.at("AT+CNMI=2,1,0,0,0")
    assert emulator.inject("+447700900130", "Deer on the A39 at Holford") == [1]
    assert port.read_lines(1) == ['+CMTI: "SM",1']
    header, pdu, ok = port.at("AT+CMGR=1")
    assert (header.split(",")[0], ok) == ("+CMGR: 0", "OK")
    deliver = decode_deliver(pdu)
    assert (deliver.sender, deliver.text) == ("+447700900130", "Deer on the A39 at Holford")
    assert port.at("AT+CMGR=1")[0].startswith("+CMGR: 1,")  # reading marked it read
    assert stored_texts(port, stat=0) == {}
    assert stored_texts(port, stat=1) == {1: "Deer on the A39 at Holford"}


def test_no_cmti_is_sent_until_cnmi_asks_for_it(emulator: Emulator, port: Client) -> None:
    emulator.inject("+447700900131", "quiet")
    assert port.unsolicited() == b""
    assert stored_texts(port) == {1: "quiet"}


def test_a_long_injected_message_is_stored_as_linked_parts(
    emulator: Emulator, port: Client
) -> None:
    port.at("AT+CNMI=2,1")
    text = "Tractor with no plates heading north past Combe Farm. " * 6
    assert emulator.inject("+447700900132", text) == [1, 2, 3]
    assert port.read_lines(3) == ['+CMTI: "SM",1', '+CMTI: "SM",2', '+CMTI: "SM",3']
    lines = port.at("AT+CMGL=4")
    parts = [decode_deliver(pdu) for pdu in lines[1:-1:2]]
    assert [(p.concat.part, p.concat.parts) for p in parts if p.concat] == [(1, 3), (2, 3), (3, 3)]
    assert len({p.concat.ref for p in parts if p.concat}) == 1
    assert "".join(p.text for p in parts) == text


def test_delete_removes_one_message_or_all_of_them(emulator: Emulator, port: Client) -> None:
    for n in range(3):
        emulator.inject("+447700900133", f"message {n}")
    assert port.at("AT+CMGD=2") == ["OK"]
    assert stored_texts(port) == {1: "message 0", 3: "message 2"}
    assert port.at("AT+CMGD=?") == ["+CMGD: (1,3),(0-4)", "OK"]
    assert port.at("AT+CMGD=1,4") == ["OK"]
    assert stored_texts(port) == {}
    assert port.at("AT+CMGR=1") == ["OK"]  # an empty slot: nothing to show
    assert port.at("AT+CMGR=31") == ["+CMS ERROR: 321"]
    assert port.at("AT+CMGD=0") == ["+CMS ERROR: 321"]


def test_a_full_store_refuses_the_whole_message() -> None:
    emu = Emulator(capacity=2)
    emu.inject("+447700900134", "one")
    with pytest.raises(StoreFull):
        emu.inject("+447700900134", "x" * 200)  # two parts, one slot free
    assert emu.store.used() == 1


def write_inject_file(directory: Path, name: str, content: str) -> None:
    tmp = directory / f".{name}.tmp"
    tmp.write_text(content)
    tmp.rename(directory / name)


def test_inject_dir_files_become_stored_messages(tmp_path: Path) -> None:
    inbox = tmp_path / "inject"
    emu = Emulator(inject_dir=str(inbox))
    emu.start()
    try:
        with Client(emu.device) as p:
            p.at("AT+CNMI=2,1")
            body = {"from": "+447700900135", "text": "Stolen quad bike, red, KX19 ABC"}
            write_inject_file(inbox, "sighting.json", json.dumps(body))
            assert p.read_lines(1) == ['+CMTI: "SM",1']
            assert stored_texts(p) == {1: "Stolen quad bike, red, KX19 ABC"}
            write_inject_file(
                inbox, "long.json", json.dumps({"from": "+447700900136", "text": "y" * 400})
            )
            assert p.read_lines(3) == [f'+CMTI: "SM",{i}' for i in (2, 3, 4)]
    finally:
        emu.stop()
    assert list(inbox.iterdir()) == []


def test_bad_inject_files_are_set_aside_without_harm(tmp_path: Path) -> None:
    inbox = tmp_path / "inject"
    inbox.mkdir()
    write_inject_file(inbox, "broken.json", "{not json")
    write_inject_file(inbox, "no-text.json", json.dumps({"from": "+447700900137"}))
    write_inject_file(inbox, "list.json", "[1, 2]")
    write_inject_file(inbox, "bad-sender.json", json.dumps({"from": "+44abc", "text": "hi"}))
    write_inject_file(inbox, "good.json", json.dumps({"from": "+447700900138", "text": "ok"}))
    emu = Emulator(inject_dir=str(inbox))
    emu.start()
    try:
        deadline = time.monotonic() + 5
        while len(list(inbox.glob("*.bad"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        with Client(emu.device) as p:
            assert stored_texts(p) == {1: "ok"}
    finally:
        emu.stop()
    assert sorted(x.name for x in inbox.iterdir()) == [
        "bad-sender.bad",
        "broken.bad",
        "list.bad",
        "no-text.bad",
    ]


def test_urc_in_answer_hook_puts_the_cmti_inside_the_next_answer(
    emulator: Emulator, port: Client
) -> None:
    port.at("AT+CNMI=2,1")
    emulator.urc_in_answer = True
    emulator.inject("+447700900139", "mid-answer")
    assert port.unsolicited() == b""
    assert port.exchange(b"AT+CSQ\r") == (b'\r\n+CSQ: 23,99\r\n\r\n+CMTI: "SM",1\r\n\r\nOK\r\n')


def test_a_urc_waits_for_the_answer_in_progress(tmp_path: Path) -> None:
    with Emulator(send_latency=0.3) as emu, Client(emu.device) as p:
        p.at("AT+CNMI=2,1")
        [part] = encode_submit("+447700900142", "slow")
        p.exchange(f"AT+CMGS={part.tpdu_length}\r".encode())
        threading.Timer(0.1, emu.inject, ("+447700900143", "meanwhile")).start()
        assert p.exchange(part.pdu.encode() + b"\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
        assert p.read_lines(1) == ['+CMTI: "SM",1']


# ---- the SIM --------------------------------------------------------------------------------


def test_a_wrong_pin_is_refused_and_the_right_one_unlocks(tmp_path: Path) -> None:
    emu = Emulator(pin="4321")
    emu.start()
    try:
        with Client(emu.device) as p:
            p.at("AT+CMEE=1")
            assert p.at("AT+CPIN?") == ["+CPIN: SIM PIN", "OK"]
            assert p.at("AT+CREG?") == ["+CREG: 0,0", "OK"]
            assert p.at("AT+CMGL=4") == ["+CMS ERROR: 311"]
            assert p.at("AT+CIMI") == ["+CME ERROR: 11"]
            assert p.at('AT+CPIN="1111"') == ["+CME ERROR: 16"]
            assert p.at('AT+CPIN="4321"') == ["OK"]
            assert p.at("AT+CPIN?;+CREG?") == ["+CPIN: READY", "+CREG: 0,1", "OK"]
    finally:
        emu.stop()


def test_the_pin_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1, logger="hardware.emulator")
    with Emulator(pin="4321") as emu, Client(emu.device, echo=True) as p:
        assert p.at('AT+CPIN="4321"') == ["OK"]
    assert "+CPIN=" in caplog.text
    assert "4321" not in caplog.text


def test_three_wrong_pins_lock_the_sim_behind_its_puk() -> None:
    emu = Emulator(pin="4321")
    emu.start()
    try:
        with Client(emu.device) as p:
            p.at("AT+CMEE=1")
            for _ in range(3):
                assert p.at('AT+CPIN="0000"') == ["+CME ERROR: 16"]
            assert p.at("AT+CPIN?") == ["+CPIN: SIM PUK", "OK"]
            assert p.at('AT+CPIN="4321"') == ["+CME ERROR: 12"]
    finally:
        emu.stop()


# ---- the port's life ------------------------------------------------------------------------


def test_a_client_can_close_and_reopen_the_port(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hardware.emulator.port_server")
    with Client(emulator.device) as p:
        assert p.exchange(b"AT+CMGS=20\r") == b"\r\n> "  # abandoned at the prompt
    wait_for(lambda: "client closed" in caplog.text, WAIT, "the emulator to see the close")
    with Client(emulator.device) as p:
        assert p.at("AT+CSQ") == ["+CSQ: 23,99", "OK"]


def test_stop_unplugs_and_a_new_emulator_comes_back_on_the_same_link(tmp_path: Path) -> None:
    link = tmp_path / "gsm-modem"
    first = Emulator(link=str(link))
    assert first.start() == str(link)
    with Client(str(link)) as p:
        first.stop()
        with pytest.raises(serial.SerialException):
            p.serial.write(b"AT\r")
            p.serial.read(10)
    assert not link.exists()
    second = Emulator(link=str(link))
    second.start()
    try:
        with Client(str(link)) as p2:
            assert p2.at("AT") == ["OK"]
    finally:
        second.stop()


def test_a_stale_link_is_replaced(tmp_path: Path) -> None:
    link = tmp_path / "gsm-modem"
    link.symlink_to("/dev/pts/nonexistent")
    emu = Emulator(link=str(link))
    emu.start()
    try:
        assert os.readlink(link).startswith("/dev/pts/")
        assert os.readlink(link) != "/dev/pts/nonexistent"
        with Client(str(link)) as p:
            assert p.at("AT") == ["OK"]
    finally:
        emu.stop()


def test_the_cli_prints_the_device_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    link = tmp_path / "modem"
    log = tmp_path / "sent.jsonl"
    command = [sys.executable, "-m", "hardware.emulator", "--link", str(link), "--log", str(log)]
    with (
        (tmp_path / "stderr.txt").open("w") as stderr,
        subprocess.Popen(
            [*command, "--number", "+447700900140"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as proc,
    ):
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == str(link)
            with Client(str(link)) as p:
                assert p.at("AT+CNUM") == ['+CNUM: "","+447700900140",145', "OK"]
                [part] = encode_submit("+447700900141", "from the cli")
                assert p.send_pdu(part.pdu, part.tpdu_length)[0] == "+CMGS: 0"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    assert json.loads(log.read_text())["text"] == "from the cli"
    assert not link.exists()


def test_the_cli_refuses_bad_usage_with_status_2() -> None:
    from hardware.emulator.cli import main

    assert main(["--send-latency", "-1"]) == 2
    assert main(["--number", "not-a-number"]) == 2


def test_an_unwritable_log_fails_at_start_not_at_the_first_send(tmp_path: Path) -> None:
    from hardware.emulator.cli import main

    missing = str(tmp_path / "no" / "such" / "sent.jsonl")
    with pytest.raises(OSError):
        Emulator(log_path=missing).start()
    assert main(["--log", missing]) == 1
