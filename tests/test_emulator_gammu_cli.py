"""A real third-party client, Debian's `gammu` CLI, against the emulator.

gammu probes a modem its own way (ESC to leave a stuck prompt, ATE1, AT+MODE=2,
AT+CSCS=?, AT+CPMS=?...), so these tests catch answers that only our own driver would
accept. gammu writes slowly until it knows the model: each run takes about four seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.emulator import Emulator

pytestmark = pytest.mark.slow


@pytest.fixture
def sent_log(tmp_path: Path) -> Path:
    return tmp_path / "sent.jsonl"


@pytest.fixture
def emulator(tmp_path: Path, sent_log: Path) -> Iterator[Emulator]:
    emu = Emulator(link=str(tmp_path / "modem"), log_path=str(sent_log))
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def gammurc(tmp_path: Path, emulator: Emulator) -> Path:
    rc = tmp_path / "gammurc"
    rc.write_text(f"[gammu]\ndevice = {emulator.device}\nconnection = at\n")
    return rc


def gammu(rc: Path, *args: str) -> str:
    """Run the gammu CLI; its stdout, or a failure showing what it said."""
    exe = shutil.which("gammu")
    assert exe, "the gammu CLI is missing: `make install` installs Debian's gammu package"
    env = {**os.environ, "HOME": str(rc.parent)}  # gammu must not read or write ~/.gammurc
    result = subprocess.run(
        [exe, "-c", str(rc), *args], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, f"gammu {args} failed: {result.stdout}\n{result.stderr}"
    return result.stdout


def logged(sent_log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in sent_log.read_text().splitlines()]


def test_gammu_identify_shows_the_emulators_maker_and_imei(gammurc: Path) -> None:
    out = gammu(gammurc, "identify")
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in out.splitlines())
    )
    assert fields["Manufacturer"].lower() == "smsgw"
    assert fields["IMEI"] == "356938035643809"
    assert fields["SIM IMSI"] == "234301234567890"
    assert "SMSGW-EMU" in fields["Model"]


def test_gammu_sendsms_reaches_the_emulators_log(
    gammurc: Path, sent_log: Path, emulator: Emulator
) -> None:
    gammu(gammurc, "sendsms", "TEXT", "+447700900123", "-text", "hello from gammu")
    [entry] = logged(sent_log)
    assert (entry["to"], entry["text"], entry["ref"]) == ("+447700900123", "hello from gammu", None)
    assert emulator.sent[0].pdu == entry["pdu"]


def test_a_long_gammu_sendsms_arrives_as_concatenated_parts(gammurc: Path, sent_log: Path) -> None:
    text = ("Alert: sheep worrying reported near Hollow Farm, keep dogs on leads. " * 6)[:400]
    gammu(gammurc, "sendsms", "TEXT", "+447700900124", "-len", "400", "-text", text)
    entries = logged(sent_log)
    assert [(e["part"], e["parts"]) for e in entries] == [(1, 3), (2, 3), (3, 3)]
    assert len({e["ref"] for e in entries}) == 1
    assert {e["to"] for e in entries} == {"+447700900124"}
    assert "".join(str(e["text"]) for e in entries) == text


def test_gammu_reads_an_injected_message(gammurc: Path, emulator: Emulator) -> None:
    emulator.inject("+447700900125", "Poachers' van seen at Beck Lane, KX19 ABC")
    out = gammu(gammurc, "getallsms")
    assert '"+447700900125"' in out
    assert "Poachers' van seen at Beck Lane, KX19 ABC" in out
