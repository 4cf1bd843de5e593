"""A sighting's forward while a broadcast goes out (issue 13's target: the forward's
`AT+CMGS` within 3.5 s of the text, the worst of 10): the rest of the alert's send in
flight, at most a real modem's 3 s, then reading, filing and claiming in half a second.

The set-up and the clock are the sighting forward benchmark's (daemon in this process,
emulator on a real pty taking 3 s per `AT+CMGS`); here a 200-recipient alert is going
out when each text arrives, and is checked to still have messages queued then. Each text
lands at another moment of an alert's send (0 to 2.7 s after it began): just after the
start is the worst. The alert would take ten minutes; the daemon stops after the tenth
forward.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from bench.inbound_latency import latency_rows
from bench.procs import BenchError, wait_for
from bench.report import Row
from bench.sighting_forward import OFFICER, SEND_LATENCY, running, time_forward
from hardware.emulator.outbound import SubmittedPart

TEXTS = 10
RECIPIENTS = 200
TARGET = SEND_LATENCY + 0.5  # seconds: one send slot, and half a second of our own
# Seconds to wait for a forward: behind the send in flight, and one more, is a figure
# that misses the target, not a benchmark that could not measure.
TIMEOUT = 3 * SEND_LATENCY + 5
ALERT = "Police: 2 men with lurchers in a silver Subaru KX19 ABC near Docking. Do not approach"


def alert_sends(parts: list[SubmittedPart]) -> int:
    """Parts of the alert among these (everything but forwards; thanks wait behind it)."""
    return sum(1 for part in parts if part.to != OFFICER)


def measure(workdir: Path, n: int = TEXTS) -> tuple[list[float], int, int]:
    """Seconds from each text to its forward's AT+CMGS; how many forwards went behind an
    alert message begun after their text arrived; the alert's sends by the end."""
    latencies: list[float] = []
    late = 0
    with running(workdir, members=RECIPIENTS) as run:
        sent = run.emulator.sent  # in the order the modem took them, as each AT+CMGS came
        made = run.daemon.alerts.create(ALERT, ["DOCKING"], by="bench")
        if made.recipients != RECIPIENTS:
            raise BenchError(f"the alert went to {made.recipients}, not {RECIPIENTS}")
        wait_for(lambda: alert_sends(sent) > 0, 10, "the alert on the wire", step=0.005)
        for i in range(n):
            # The first text comes as the alert's first send begins; each next one a
            # little later after the forward before it was accepted, which is when the
            # alert's next send begins.
            time.sleep(SEND_LATENCY * i / n)
            if not run.daemon.alerts.progress(made.ref)["queued"]:
                raise BenchError(f"sighting {i}: the alert had no message left queued")
            before = len(sent)
            latencies.append(time_forward(run, i, TIMEOUT))
            forward = next(k for k in range(before, len(sent)) if f"({i})" in sent[k].text)
            late += alert_sends(sent[before:forward]) > 0
        total = alert_sends(sent)
    return latencies, late, total


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    latencies, late, sent = measure(workdir)
    name = "sighting forward during a broadcast"
    note = (
        f"{len(latencies)} texts, inject to the forward's AT+CMGS, each while a"
        f" {RECIPIENTS}-recipient alert went out at {SEND_LATENCY:.0f} s a send"
        f" ({sent} of its messages on the wire by the last); {late} forward(s) went"
        " behind an alert message begun after their text arrived"
    )
    return latency_rows("sighting_broadcast", name, latencies, note, None, TARGET, top="max")
