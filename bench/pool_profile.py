"""`python -m bench.pool_profile`: where a pool worker's time goes between two sends.

Not part of `make bench`. The pool benchmark runs the daemon as its own process, which
is the honest figure but shows nothing inside it; this runs the same daemon in this
process, with the same emulator processes, and times the calls on each worker's send
path (the wrappers only count and time; they change nothing). The per-message sum of
the rows is the cycle time of one modem, so a missed pool target reads off directly.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from bench.procs import Proc, count_lines, log_entries, send_rate, start_emulator, stop, wait_for
from bench.throughput import LATENCY, NODE, RECIPIENT_LIMIT, queue, settled, texts
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.outbox.queue import Outbox
from hardware.at.modem import AtModem

Timings = dict[str, list[float]]  # name -> [calls, seconds]


def timed(name: str, fn: Callable[..., Any], timings: Timings) -> Callable[..., Any]:
    lock = threading.Lock()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            label = name
            with lock:
                slot = timings.setdefault(label, [0, 0.0])
                slot[0] += 1
                slot[1] += time.perf_counter() - started

    return wrapper


def instrument(timings: Timings) -> None:
    """Wrap the send path's calls: claim, send, the outcome's commit, delivery reports."""
    calls = (
        (Outbox, "claim"),
        (Outbox, "record_sent"),
        (Outbox, "apply_reports"),
        (AtModem, "send"),
    )
    for owner, name in calls:
        label = f"{owner.__name__}.{name}"
        setattr(owner, name, timed(label, getattr(owner, name), timings))


def profile(workdir: Path, modems: int, n: int, reports: bool) -> None:
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    queue(db_url, texts(n))
    links = [workdir / f"modem{i}" for i in range(1, modems + 1)]
    logs = [workdir / f"emulator{i}.jsonl" for i in range(1, modems + 1)]
    emulators: list[Proc] = []
    timings: Timings = {}
    instrument(timings)
    entry = {"driver": "at", "max_recipients_per_day": RECIPIENT_LIMIT}
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": NODE},
            "outbox": {"status_reports": reports},
            "modem": [{**entry, "name": f"m{i}", "port": str(p)} for i, p in enumerate(links, 1)],
        },
        "<pool_profile>",
    )
    try:
        for link, log in zip(links, logs, strict=True):
            emulators.append(start_emulator(link, log, "--send-latency", str(LATENCY)))
        daemon = Daemon(cfg)
        daemon.start()
        try:
            wait_for(
                lambda: sum(count_lines(log) for log in logs) >= n,
                30 + 3 * n * LATENCY / modems,
                f"{n} messages at the emulators",
            )
        finally:
            daemon.stop()
            daemon.engine.dispose()
    finally:
        for emulator in emulators:
            stop(emulator)
    rate = send_rate([e for log in logs for e in log_entries(log)], LATENCY)
    ratio = rate.rate * LATENCY / modems
    print(f"{modems} modem(s), {n} msgs, status_reports={reports}: {rate.rate:.2f} msg/s,")
    print(f"ratio {ratio:.3f} of {modems} x 1/latency; outbox {settled(db_url, n)}")
    print(f"{'call':36} {'calls':>6} {'ms each':>8} {'ms/message':>11}")
    for name, (calls, seconds) in sorted(timings.items()):
        each, per_message = 1000 * seconds / max(calls, 1), 1000 * seconds / n
        print(f"{name:36} {calls:6.0f} {each:8.2f} {per_message:11.2f}")
    cycle = 1000 * modems / rate.rate
    print(f"one modem's cycle: {cycle:.1f} ms a message, {LATENCY * 1000:.0f} of them the latency")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pool_profile", description=__doc__)
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--no-reports", action="store_true", help="status_reports = false")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(mkdtemp(prefix="smsgw-pool-profile-"))
    profile(workdir, args.modems, args.messages, not args.no_reports)
    print(f"work directory: {workdir}")


if __name__ == "__main__":
    main()
