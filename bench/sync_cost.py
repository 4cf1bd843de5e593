"""What `synchronous=FULL` costs (issue 13): the database time per message with every
commit on disk before it returns, against NORMAL, where a power cut may take back the
last commits.

Measured on SQLite files on this machine's disk, through the daemon's own calls, in
rounds that alternate the two modes so that other load on the machine falls on both:
- a message sent: the worker's two commits per send, the claim of the next made while the
  network works (`Outbox.claim`) and the outcome at the answer, on the modem's own
  connection (`Outbox.record_sent` with a `SentRecorder`, delivery-report tracking on);
- a text received: what the worker commits between reading it and deleting it from the
  SIM, `Inbox.store`, the router filing it as a sighting with its forward and the
  thanks, and `Inbox.mark_routed` (three commits).
A real modem spends about 3 s on each send (FIELD-NOTES), so the cost is shown as a share
of that. Then the throughput benchmark's first run again, its daemon on NORMAL, to set
beside the throughput row (FULL).
"""

from __future__ import annotations

import dataclasses
import logging
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import throughput
from bench.inbound_latency import percentile
from bench.procs import BenchError, drama_number
from bench.report import Row
from bench.sighting_forward import build_daemon, keeper, sighting_text
from gateway.app.daemon import Daemon
from gateway.core.db import utcnow
from gateway.inbox.store import IncomingPart

MODES = ("FULL", "NORMAL")
ROUNDS = 4
PER_ROUND = 100  # messages, and texts, per mode per round
KEEPERS = 50  # distinct senders of the texts
RADIO = 3.0  # seconds a real modem spends on one AT+CMGS (FIELD-NOTES)
SHARE_TARGET = 0.05  # of a send: the throughput target leaves the gateway 5 % of the radio's
NORMAL_DAEMON = (sys.executable, "-m", "bench.normal_daemon")
UNDURABLE = ("tmpfs", "ramfs")  # where fsync costs nothing, so the figure would mean nothing


@dataclass
class Samples:
    sent: list[float]
    received: list[float]


def filesystem(path: Path) -> str:
    """The type of the filesystem holding `path` (the longest mount point above it)."""
    best, kind = "", "unknown"
    target = str(path.resolve())
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def send_round(daemon: Daemon, into: list[float], n: int = PER_ROUND) -> None:
    """Queue n broadcast messages, claim the first, then time each claim of the next and
    outcome of the last, as the worker makes them while a broadcast goes out."""
    outbox = daemon.outbox
    outbox.enqueue_many(
        [(drama_number(i), f"Bench alert {i:04d}: silver Subaru KX19 ABC") for i in range(n)],
        "urgent",
        kind="broadcast",
        ids=False,
    )
    recorder = outbox.recorder("m1")
    try:
        msg = outbox.claim("m1", only_to=None, duty_to=None)
        for k in range(n):
            if msg is None:
                raise BenchError(f"nothing to claim after {k} of {n} messages")
            started = time.perf_counter()
            nxt = outbox.claim("m1", only_to=None, duty_to=None) if k < n - 1 else None
            outbox.record_sent(
                msg.id,
                [k % 256],
                modem="m1",
                track=daemon.config.outbox.status_reports,
                ahead=nxt,
                only_to=None,
                duty_to=None,
                recorder=recorder,
            )
            into.append(time.perf_counter() - started)
            msg = nxt
    finally:
        recorder.close()


def receive_round(daemon: Daemon, first: int, into: list[float], n: int = PER_ROUND) -> None:
    """Texts `first`.. as the worker takes them: stored, routed (a sighting filed with its
    forward and thanks queued), marked routed; each timed."""
    for i in range(first, first + n):
        # Each text its own sender: one sender over the flood limit gets no forward, which
        # would leave out the commit measured here.
        part = IncomingPart(keeper(i), utcnow(), sighting_text(i))
        started = time.perf_counter()
        for msg in daemon.inbox.store("m1", part):
            for handler in daemon.handlers:
                handler(msg)
            daemon.inbox.mark_routed(msg.id)
        into.append(time.perf_counter() - started)


def measure(workdir: Path) -> dict[str, Samples]:
    daemons = {}
    for mode in MODES:
        (workdir / mode).mkdir()
        # No modem is opened: the daemon is never started, only its services are used.
        daemons[mode] = build_daemon(workdir / mode, "/dev/null", KEEPERS, synchronous=mode)
    samples = {mode: Samples([], []) for mode in MODES}
    try:
        for r in range(ROUNDS):
            for mode in MODES if r % 2 == 0 else reversed(MODES):
                send_round(daemons[mode], samples[mode].sent)
                receive_round(daemons[mode], r * PER_ROUND, samples[mode].received)
        for mode, daemon in daemons.items():
            expected = ROUNDS * PER_ROUND
            filed = daemon.sightings.counts()
            if sum(filed.values()) != expected:
                raise BenchError(f"{mode}: {expected} texts taken but {filed} sightings filed")
    finally:
        for daemon in daemons.values():
            daemon.engine.dispose()
    return samples


def cost_rows(kind: str, what: str, full: list[float], normal: list[float]) -> list[Row]:
    """Mean ms per message under each mode, and FULL's extra as a share of a send."""
    ms = {mode: statistics.fmean(v) * 1000 for mode, v in zip(MODES, (full, normal), strict=True)}
    rows = [
        Row(
            f"sync_cost.{kind}.{mode.lower()}",
            f"database per {what}, synchronous={mode}",
            ms[mode],
            "ms",
            note=(
                f"mean of {len(v)}; median {statistics.median(v) * 1000:.2f} ms,"
                f" p95 {percentile(v, 95) * 1000:.2f} ms;"
                f" {ms[mode] / (RADIO * 10):.2f} % of a {RADIO:.0f} s send"
            ),
        )
        for mode, v in zip(MODES, (full, normal), strict=True)
    ]
    extra = ms["FULL"] - ms["NORMAL"]
    limit = SHARE_TARGET * RADIO * 1000
    rows.append(
        Row(
            f"sync_cost.{kind}.extra",
            f"what FULL adds per {what}",
            extra,
            "ms",
            note=(
                f"{extra / (RADIO * 10):.2f} % of a {RADIO:.0f} s send (FIELD-NOTES); the"
                f" throughput target leaves the gateway {SHARE_TARGET * 100:.0f} % of a send"
            ),
            target=f"< {limit:.0f} ms ({SHARE_TARGET * 100:.0f} % of a send)",
            ok=extra < limit,
        )
    )
    return rows


def throughput_row(workdir: Path) -> Row:
    """The throughput benchmark's first run (no delivery reports), its daemon on NORMAL."""
    workdir.mkdir()
    rate, _, counts = throughput.measure(workdir, reports=False, daemon_argv=NORMAL_DAEMON)
    ratio = rate.ratio(throughput.LATENCY)
    return Row(
        "sync_cost.throughput_normal",
        f"throughput as its first row, synchronous=NORMAL ({rate.messages} msgs)",
        rate.rate,
        "msg/s",
        note=(
            f"ratio {ratio:.3f} of 1/latency; {throughput.finished_note(counts)};"
            " the throughput row above is the same run on FULL"
        ),
    )


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    kind = filesystem(workdir)
    if kind in UNDURABLE:
        raise BenchError(f"{workdir} is on {kind}: fsync costs nothing there")
    samples = measure(workdir)
    rows = [
        *cost_rows(
            "send",
            "message sent (next claim + outcome, 2 commits)",
            samples["FULL"].sent,
            samples["NORMAL"].sent,
        ),
        *cost_rows(
            "receive",
            "text received (store, file, mark routed: 3 commits)",
            samples["FULL"].received,
            samples["NORMAL"].received,
        ),
    ]
    rows[0] = dataclasses.replace(rows[0], note=f"{rows[0].note}; SQLite on {kind}")
    return [*rows, throughput_row(workdir / "throughput")]
