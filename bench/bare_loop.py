"""Reference: the AT driver alone sending in a tight loop, no database, no daemon.

This is the practical ceiling on this machine (the emulator's latency plus the pty round
trips), so the throughput figure can be read as "what the daemon adds to the driver".
"""

from __future__ import annotations

from pathlib import Path

from bench.procs import BenchError, log_entries, send_rate, start_emulator, stop
from bench.report import Row
from bench.throughput import LATENCY, texts
from hardware.at.modem import AtModem

MESSAGES = 200


def run(workdir: Path) -> list[Row]:
    link, log = workdir / "modem", workdir / "emulator.jsonl"
    emulator = start_emulator(link, log, "--send-latency", str(LATENCY))
    modem = AtModem("bare", str(link))
    try:
        modem.open()
        for to, text in texts(MESSAGES):
            modem.send(to, text)
    finally:
        modem.close()
        stop(emulator)
    entries = log_entries(log)
    if len(entries) != MESSAGES:
        raise BenchError(f"{MESSAGES} sent but {len(entries)} in the emulator's log")
    rate = send_rate(entries, LATENCY)
    return [
        Row(
            "bare_loop.rate",
            f"reference: bare AtModem.send loop, no database ({MESSAGES} msgs, {LATENCY} s/send)",
            rate.rate,
            "msg/s",
            note=f"ratio {rate.ratio(LATENCY):.3f} of 1/latency",
        )
    ]
