"""From a gamekeeper's text arriving at the modem to its forward to the officer on duty
being on the wire (issue 6's target: median and p95 under 1 s).

The daemon runs in this process on the AT driver, the emulator beside it on a real pty,
as in the inbound benchmark, and the emulator takes a real modem's 3 s over each
`AT+CMGS` (FIELD-NOTES). The clock starts just before `inject` (the SMS is stored and
`+CMTI` announced) and stops when the forward's `AT+CMGS` reaches the modem, which is the
emulator's acceptance less its send latency: reading, parsing, filing, the reference and
the urgent forward are all inside the figure; the radio's 3 s is shown beside it. The
thanks to the sender goes after the forward, and each text waits for it to clear.
"""

from __future__ import annotations

import logging
import queue
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.inbound_latency import await_text, latency_rows
from bench.procs import drama_number, wait_for
from bench.report import Row
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core import migrate
from gateway.core.db import make_engine, utcnow
from hardware.emulator import Emulator
from hardware.emulator.outbound import SubmittedPart

TEXTS = 20
SEND_LATENCY = 3.0  # seconds a real modem spends on one AT+CMGS
SPACING = SEND_LATENCY + 0.5  # the thanks goes after the forward: let it clear
TARGET = 1.0  # seconds, median and p95
OFFICER = "+447700900601"
DESK = "+447700900699"
PLATES = ("KX19 ABC", "YR68 XYZ", "AB12 CDE", "NG07 KLM", "LD15 TUV")


def build_daemon(
    workdir: Path, device: str, members: int = TEXTS, *, synchronous: str = "FULL"
) -> Daemon:
    """The daemon on `device`, `members` keepers on the DOCKING list (the first ones text
    the sightings), an officer on duty; `synchronous` is SQLite's, for the cost of FULL."""
    url = f"sqlite:///{workdir / 'smsgw.db'}"
    cfg = config_mod.from_dict(
        {
            "database": {"url": url},
            "gateway": {"node": "bench"},
            "modem": [{"name": "m1", "driver": "at", "port": device, "max_recipients_per_day": 0}],
            "rota": {"fallback_number": DESK},
        },
        "<bench>",
    )
    daemon = Daemon(cfg, engine=make_engine(url, synchronous=synchronous))
    migrate.upgrade(daemon.engine)
    daemon.subscribers.add_list("Docking farms", "DOCKING")
    for i in range(members):
        daemon.subscribers.join(
            keeper(i), "DOCKING", name=f"Keeper {i}", method="officer", by="bench"
        )
    officer = daemon.rota.add_operator("PC Bench", OFFICER)
    now = utcnow()
    daemon.rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=8))
    return daemon


def keeper(i: int) -> str:
    return drama_number(300 + i)


def sighting_text(i: int) -> str:
    """The i-th report, marked "(i)" so its forward can be told apart."""
    plate = PLATES[i % len(PLATES)].replace("1", str(i % 10), 1)
    return f"Silver Subaru {plate} 2 men with lurchers heading to Docking ({i})"


@dataclass(frozen=True)
class Running:
    emulator: Emulator
    daemon: Daemon
    forwards: queue.Queue[tuple[float, str]]  # (when its AT+CMGS reached the modem, text)


@contextmanager
def running(workdir: Path, members: int = TEXTS) -> Iterator[Running]:
    """The daemon on a ready emulated modem that takes a real modem's 3 s a send; every
    forward to the officer is stamped with when its AT+CMGS reached the modem."""
    emulator = Emulator(log_path=str(workdir / "emulator.jsonl"), send_latency=SEND_LATENCY)
    device = emulator.start()
    forwards: queue.Queue[tuple[float, str]] = queue.Queue()
    accepted = emulator.network.on_sent

    def on_sent(part: SubmittedPart) -> None:
        if part.to == OFFICER:
            forwards.put((time.perf_counter() - SEND_LATENCY, part.text))
        if accepted is not None:
            accepted(part)

    emulator.network.on_sent = on_sent
    try:
        daemon = build_daemon(workdir, device, members)
        try:
            daemon.start()
            wait_for(lambda: all(w.connected for w in daemon.workers), 15, "the modem to be ready")
            time.sleep(0.5)  # let the start-up sweep of the SIM store finish
            yield Running(emulator, daemon, forwards)
        finally:
            daemon.stop()
            daemon.engine.dispose()
    finally:
        emulator.stop()


def time_forward(run: Running, i: int, timeout: float = SEND_LATENCY + 5) -> float:
    """Keeper i texts sighting i: seconds until its forward's AT+CMGS reached the modem.
    Returns once the modem accepted the forward, one send later (`timeout` after the
    text at the latest)."""
    started = time.perf_counter()
    run.emulator.inject(keeper(i), sighting_text(i))
    marker = f"({i})"
    found = re.compile(re.escape(marker)).search
    return await_text(run.forwards, found, marker, timeout) - started


def measure(workdir: Path, n: int = TEXTS) -> list[float]:
    latencies: list[float] = []
    with running(workdir) as run:
        for i in range(n):
            latencies.append(time_forward(run, i))
            time.sleep(SPACING)
    return latencies


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    latencies = measure(workdir)
    name = f"sighting forward ({len(latencies)} texts, inject to AT+CMGS of the forward)"
    radio = f"then {SEND_LATENCY:.0f} s of radio per send"
    return latency_rows("sighting", name, latencies, radio, TARGET, TARGET)
