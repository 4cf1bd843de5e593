"""From a text arriving at the modem to the gateway's handler having it, committed.

The daemon runs in this process on the AT driver; the emulator runs beside it on a real
pty (the daemon's built-in emulator is not reachable from outside, so the benchmark
starts its own and hands the daemon its device path). Each text is injected alone:
the clock starts just before `inject` (which stores the SMS and announces `+CMTI`) and
stops when the handler is called, which happens after the row is committed.
"""

from __future__ import annotations

import logging
import queue
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select

from bench.procs import BenchError, drama_number, wait_for
from bench.report import Row
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.models import InboundMessage
from gateway.inbox.store import Received
from hardware.emulator import Emulator

TEXTS = 50
SPACING = 0.2  # seconds between one handled text and the next inject
TIMEOUT = 5.0  # seconds for one text to reach the handler
TARGET_MEDIAN = 0.05


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def build_daemon(workdir: Path, device: str, inbox: queue.Queue[tuple[float, str]]) -> Daemon:
    cfg = config_mod.from_dict(
        {
            "database": {"url": f"sqlite:///{workdir / 'smsgw.db'}"},
            "gateway": {"node": "bench"},
            # Like every benchmark: no distinct-recipient budget (0 = no limit).
            "modem": [{"name": "m1", "driver": "at", "port": device, "max_recipients_per_day": 0}],
        },
        "<bench>",
    )

    def handler(msg: Received) -> None:
        inbox.put((time.perf_counter(), msg.text))

    return Daemon(cfg, handlers=[handler])


def measure(workdir: Path, n: int = TEXTS) -> list[float]:
    """Seconds from inject to handler, one per text."""
    emulator = Emulator(log_path=str(workdir / "emulator.jsonl"))
    device = emulator.start()
    inbox: queue.Queue[tuple[float, str]] = queue.Queue()
    daemon = build_daemon(workdir, device, inbox)
    latencies: list[float] = []
    try:
        daemon.start()
        wait_for(lambda: all(w.connected for w in daemon.workers), 15, "the modem to be ready")
        time.sleep(0.5)  # let the start-up sweep of the SIM store finish
        for i in range(n):
            text = f"Sighting {i:02d}: blue Hilux KX19 ABC at Docking"
            started = time.perf_counter()
            emulator.inject(drama_number(300 + i), text)
            latencies.append(await_text(inbox, text.__eq__, repr(text)) - started)
            time.sleep(SPACING)
        with daemon.engine.connect() as conn:
            stored = conn.scalar(select(func.count()).select_from(InboundMessage))
        if stored != n:
            raise BenchError(f"{n} texts injected but {stored} stored")
    finally:
        daemon.stop()
        daemon.engine.dispose()
        emulator.stop()
    return latencies


def await_text(
    arrivals: queue.Queue[tuple[float, str]],
    matches: Callable[[str], object],
    what: str,
    timeout: float = TIMEOUT,
) -> float:
    """When the first (time, text) whose text matches arrived; others are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            at, got = arrivals.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise BenchError(f"{what} did not arrive within {timeout} s") from None
        if matches(got):
            return at


def latency_rows(
    key: str,
    name: str,
    latencies: list[float],
    note: str,
    median_target: float | None,
    top_target: float | None = None,
    *,
    top: Literal["p95", "max"] = "p95",
) -> list[Row]:
    """The median and p95 rows of a latency benchmark, with their targets (None: reported
    only). `top="max"` reports the worst instead of the p95, for a handful of samples."""
    median = statistics.median(latencies)
    high = max(latencies) if top == "max" else percentile(latencies, 95)
    spread = f"min {min(latencies):.4f} s, max {max(latencies):.4f} s; {note}"
    return [
        Row(
            f"{key}.median",
            f"{name}, median",
            median,
            "s",
            note=spread,
            target=f"median < {median_target} s" if median_target is not None else "",
            ok=median < median_target if median_target is not None else None,
        ),
        Row(
            f"{key}.{top}",
            f"{name}, {top}",
            high,
            "s",
            target=f"{top} < {top_target} s" if top_target is not None else "",
            ok=high < top_target if top_target is not None else None,
        ),
    ]


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    latencies = measure(workdir)
    name = f"inbound latency ({len(latencies)} texts, +CMTI to handler)"
    return latency_rows("inbound", name, latencies, "max_recipients_per_day = 0", TARGET_MEDIAN)
