"""Four emulated modems, each its own `smsgw emulator` process, under one `smsgw daemon`.

The daemon runs one worker thread per modem around one SQLite file; the workers share the
queue by claiming rows. With no contention the pool sends MODEMS times as fast as one
modem, so the figure is the rate over the four logs merged, against MODEMS x 1/latency.
CPU is sampled from /proc over the sending interval so a miss can be traced to its cause.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procs import (
    SMSGW,
    BenchError,
    Proc,
    SendRate,
    count_lines,
    cpu_seconds,
    log_entries,
    machine_cpu,
    send_rate,
    start,
    start_emulator,
    stop,
    wait_for,
)
from bench.report import Row
from bench.throughput import (
    LATENCY,
    RECIPIENT_LIMIT,
    finished_note,
    queue,
    settled,
    texts,
    write_config,
)

MODEMS = 4
MESSAGES = 2000  # 1,000 drama-range numbers, each texted twice with a different text
TARGET_RATIO = 0.95  # issue 20
FIRST_SEND = 30.0  # seconds from the daemon's start to the first send


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds used so far by the daemon, the emulators and the whole machine."""

    at: float  # time.monotonic()
    daemon: float
    emulators: float
    machine: float  # busy CPU seconds, all cores summed


def snapshot(daemon: Proc, emulators: list[Proc]) -> Snapshot:
    return Snapshot(
        time.monotonic(),
        cpu_seconds(daemon.pid),
        sum(cpu_seconds(e.pid) for e in emulators),
        machine_cpu()[0],
    )


@dataclass(frozen=True)
class Usage:
    """CPU over the sending interval, in cores (CPU seconds per wall second)."""

    wall: float
    daemon: float
    emulators: float
    machine: float  # every process on the machine, this benchmark's own polling included

    @classmethod
    def between(cls, first: Snapshot, last: Snapshot) -> Usage:
        wall = last.at - first.at
        if wall <= 0:
            raise BenchError("the sending interval was too short to sample CPU over")
        return cls(
            wall,
            (last.daemon - first.daemon) / wall,
            (last.emulators - first.emulators) / wall,
            (last.machine - first.machine) / wall,
        )


@dataclass(frozen=True)
class PoolResult:
    rate: SendRate  # all modems' logs merged
    per_modem: dict[str, SendRate]  # modems that sent anything
    split: dict[str, int]  # messages each modem sent, every modem
    usage: Usage
    counts: dict[str, int]  # the outbox by state


def check_once(entries: list[dict[str, Any]], items: list[tuple[str, str]]) -> None:
    """Every queued (number, text) reached an emulator exactly once."""
    got = Counter((e["to"], e["text"]) for e in entries)
    want = Counter(items)
    missing = sum((want - got).values())
    twice = sum(n - 1 for n in got.values() if n > 1)
    stray = sum((got - want).values()) - twice
    if missing or twice or stray:
        raise BenchError(
            f"across the logs: {missing} queued messages missing, {twice} sent more than once,"
            f" {stray} never queued"
        )


def watch(daemon: Proc, emulators: list[Proc], logs: list[Path], n: int) -> Usage:
    """Wait for the first send, then the n-th; the CPU used between the two."""

    def sent(count: int) -> Callable[[], bool]:
        return lambda: sum(count_lines(log) for log in logs) >= count or daemon.poll() is not None

    wait_for(sent(1), FIRST_SEND, "the first send", step=0.01)
    first = snapshot(daemon, emulators)
    wait_for(sent(n), 30 + 3 * n * LATENCY / len(logs), f"{n} messages at the emulators")
    last = snapshot(daemon, emulators)
    if daemon.poll() is not None:
        raise BenchError(f"the daemon exited with {daemon.returncode}; see daemon.log")
    return Usage.between(first, last)


def measure(workdir: Path, n: int = MESSAGES, modems: int = MODEMS) -> PoolResult:
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    items = texts(n)
    queue(db_url, items)
    links = [workdir / f"modem{i}" for i in range(1, modems + 1)]
    logs = [workdir / f"emulator{i}.jsonl" for i in range(1, modems + 1)]
    emulators: list[Proc] = []
    try:
        for link, log in zip(links, logs, strict=True):
            emulators.append(start_emulator(link, log, "--send-latency", str(LATENCY)))
        config = write_config(workdir, db_url, links)
        daemon = start([*SMSGW, "daemon", "--config", str(config)], workdir / "daemon.log")
        try:
            usage = watch(daemon, emulators, logs, n)
        finally:
            stop(daemon)
    finally:
        for emulator in emulators:
            stop(emulator)
    per_log = [log_entries(log) for log in logs]
    merged = [e for entries in per_log for e in entries]
    check_once(merged, items)
    per_modem = {f"m{i}": send_rate(e, LATENCY) for i, e in enumerate(per_log, 1) if e}
    split = {f"m{i}": len(e) for i, e in enumerate(per_log, 1)}
    return PoolResult(send_rate(merged, LATENCY), per_modem, split, usage, settled(db_url, n))


def run(workdir: Path) -> list[Row]:
    result = measure(workdir)
    ceiling = MODEMS / LATENCY
    ratio = result.rate.rate / ceiling
    split, rates = result.split.values(), result.per_modem
    usage = result.usage
    cores = os.cpu_count() or 1
    return [
        Row(
            "pool.rate",
            f"pool ({MODEMS} modems, 1 daemon, {result.rate.messages} msgs, {LATENCY} s/send)",
            result.rate.rate,
            "msg/s",
            note=(
                f"ratio {ratio:.3f} of {MODEMS} x {1 / LATENCY:.0f}/s = {ceiling:.0f}/s;"
                f" each (number, text) once; {finished_note(result.counts)};"
                f" max_recipients_per_day = {RECIPIENT_LIMIT}"
            ),
            target=f"ratio >= {TARGET_RATIO}",
            ok=ratio >= TARGET_RATIO,
        ),
        Row(
            "pool.split",
            "pool: messages per modem, largest - smallest",
            float(max(split) - min(split)),
            "msgs",
            note="; ".join(
                f"{name} {count}" + (f" at {rates[name].rate:.1f}/s" if name in rates else "")
                for name, count in result.split.items()
            ),
        ),
        Row(
            "pool.cpu",
            "pool: daemon CPU while sending",
            usage.daemon,
            "cores",
            note=(
                f"over {usage.wall:.1f} s; {MODEMS} emulators {usage.emulators:.2f} cores;"
                f" machine {usage.machine:.2f} of {cores} cores busy"
            ),
        ),
    ]
