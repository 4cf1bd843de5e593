"""Real processes (`smsgw emulator`, `smsgw daemon`, a peer daemon) and what they leave behind.

The same approach as tests/procs.py: the emulator prints its device path and makes a
stable link; its JSON log (one line per submitted part, written as the part is accepted)
is the "network" every sender is measured against.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

SMSGW = [sys.executable, "-m", "gateway.cli"]

# Ofcom's drama range, the only numbers a benchmark may text.
DRAMA_BASE = 447700900000


def drama_number(i: int) -> str:
    return f"+{DRAMA_BASE + i % 1000}"


class BenchError(Exception):
    """The benchmark could not measure what it set out to; the message says why."""


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")


Proc = subprocess.Popen[bytes]


def start_emulator(link: Path, log: Path, *extra: str) -> Proc:
    """`smsgw emulator` in its own process; returns once its link to the pty exists.

    Its stderr goes to `<link>.err`, one file per emulator when a benchmark runs several.
    """
    err = link.with_name(f"{link.name}.err")
    with err.open("ab") as err_file:
        proc = subprocess.Popen(
            [*SMSGW, "emulator", "--link", str(link), "--log", str(log), *extra],
            stdout=subprocess.PIPE,
            stderr=err_file,
        )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the device path, printed once the pty is up
    proc.stdout.close()
    if not first.strip():
        proc.wait(timeout=5)
        last = err.read_text(errors="replace").strip().splitlines()[-1:]
        raise BenchError(f"the emulator did not start: {last[0] if last else 'no output'}")
    wait_for(link.exists, 5, "the emulator's link")
    return proc


def start(argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> Proc:
    """A process we started, its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, env=env)


def stop(proc: Proc, sig: int = signal.SIGTERM) -> int:
    """Ask a process we started to stop; kill it if it will not. Returns its exit status."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def peak_memory_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process has held since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmHWM in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process (all its threads) has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ", comm may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores summed."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal (guest is in user)
    idle = values[3] + values[4]
    ticks = os.sysconf("SC_CLK_TCK")
    return (total - idle) / ticks, total / ticks


def log_entries(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    entries = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.endswith("}"):  # a line still being written is skipped until it is whole
            entries.append(json.loads(line))
    return entries


def count_lines(log: Path) -> int:
    if not log.exists():
        return 0
    with log.open("rb") as f:
        return sum(1 for _ in f)


@dataclass(frozen=True)
class SendRate:
    messages: int
    elapsed: float  # seconds, first send's start to last send's end
    rate: float  # messages per second

    def ratio(self, latency: float) -> float:
        """Against the ceiling a modem that takes `latency` per send allows: 1/latency."""
        return self.rate * latency


def send_rate(entries: list[dict[str, Any]], latency: float) -> SendRate:
    """N / (last log time - first log time + one latency).

    The emulator stamps a part when it takes it and then spends the latency on it, so the
    interval from the first stamp to the last plus one latency is the sending interval
    (the same span as "first stamp minus one latency to the last" had it stamped after).
    """
    if not entries:
        raise BenchError("nothing reached the emulator")
    times = sorted(datetime.fromisoformat(e["at"]) for e in entries)
    elapsed = (times[-1] - times[0]).total_seconds() + latency
    return SendRate(len(entries), elapsed, len(entries) / elapsed)
