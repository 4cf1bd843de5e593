"""The small costs on the hot paths, each against the budget that keeps a modem busy.

These were wall-clock assertions inside tests, which a loaded CI machine could fail for
no fault of the code; here they are measured and reported with the rest:
- the AT driver's own time per send against the emulator with no send latency (a sleep or
  poll loop anywhere on the path would cost 10 ms or more);
- the emulator's answer to one AT command (it must not poll either);
- the sighting parser per text;
- encoding a two-part alert for 26,500 recipients, and splitting a 255-part text (both
  linear: quadratic work would show at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import serial

from bench.procs import drama_number
from bench.report import Row
from gateway.sightings.parser import parse
from hardware.at.modem import AtModem
from hardware.emulator import Emulator
from hardware.pdu import encode_submit, segments

SENDS = 100
COMMANDS = 300
RECIPIENTS = 26_500
TEXTS = (
    "Silver Subaru KX19 ABC heading to Docking, 2 men with lurchers",
    "white transit van parked at the gate on the B1153 near Stanhoe TF11 5AB",
    "Grey L200 YR68XYZ 3 dogs going towards Burnham Market at TF 812 403",
    "4x4 in the field by Bircham windmill, lamping, ///filled.count.soap",
    "Blue Freelander partial plate AB12, two men and a dog, heading north",
)


def _timed(work: Callable[[], object], count: int) -> float:
    """Seconds per call of `work`, over `count` calls after one to warm up."""
    work()
    started = time.perf_counter()
    for _ in range(count):
        work()
    return (time.perf_counter() - started) / count


def driver_per_send() -> float:
    emulator = Emulator(send_latency=0.0)
    modem = AtModem("micro", emulator.start())
    try:
        modem.open()
        n = iter(range(SENDS + 1))
        return _timed(lambda: modem.send(drama_number(next(n)), "Alert: keep gates shut"), SENDS)
    finally:
        modem.close()
        emulator.stop()


def emulator_per_command() -> float:
    emulator = Emulator()
    port = serial.Serial(emulator.start(), timeout=2)
    try:

        def exchange() -> None:
            port.write(b"AT+CSQ\r")
            answer = b""
            while not answer.endswith(b"OK\r\n"):
                chunk = port.read(port.in_waiting or 1)
                if not chunk:
                    raise TimeoutError(f"no answer to AT+CSQ; got {answer!r}")
                answer += chunk

        port.write(b"ATE0\r")
        time.sleep(0.1)
        port.reset_input_buffer()
        return _timed(exchange, COMMANDS)
    finally:
        port.close()
        emulator.stop()


def parse_per_text() -> float:
    texts = iter(TEXTS * 200)
    return _timed(lambda: parse(next(texts)), len(TEXTS) * 200 - 1)


def encode_alert() -> float:
    text = "FLOOD WARNING: river Teme above 4.2m at Tenbury, {leave} low fields now. " * 2
    started = time.perf_counter()
    for n in range(RECIPIENTS):
        encode_submit(drama_number(n), text, concat_ref=n % 256, status_report=True)
    return time.perf_counter() - started


def split_255_parts() -> float:
    started = time.perf_counter()
    segments("ж😀" * 5000)
    return time.perf_counter() - started


def run(workdir: Path) -> list[Row]:
    send = driver_per_send()
    command = emulator_per_command()
    per_text = parse_per_text()
    encode = encode_alert()
    split = split_255_parts()
    return [
        Row(
            "micro.driver_send",
            f"AT driver's own time per send ({SENDS} sends, emulator at 0 s latency)",
            send * 1000,
            "ms",
            note="a poll or sleep on the path would cost 10 ms or more",
            target="< 10 ms",
            ok=send < 0.010,
        ),
        Row(
            "micro.emulator_command",
            f"emulator's answer to AT+CSQ ({COMMANDS} commands, bare pyserial)",
            command * 1000,
            "ms",
            target="< 5 ms",
            ok=command < 0.005,
        ),
        Row(
            "micro.parse",
            "sighting parser, per text",
            per_text * 1000,
            "ms",
            target="< 5 ms",
            ok=per_text < 0.005,
        ),
        Row(
            "micro.encode",
            f"PDU encoding of a two-part alert for {RECIPIENTS:,} recipients",
            encode,
            "s",
            target="< 10 s",
            ok=encode < 10,
        ),
        Row(
            "micro.segments",
            "splitting a 255-part UCS-2 text",
            split,
            "s",
            target="< 1 s",
            ok=split < 1,
        ),
    ]
