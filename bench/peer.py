"""The peer: gammu-smsd (files backend) on the same kind of emulated modem, tuned as far as
its manual (`man gammu-smsdrc`) allows, measured from the emulator's log the same way.

gammu-smsd reaches about 1 msg/s here, so it sends fewer messages than smsgw to keep
`make bench` short; the rate is what is compared.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.procs import (
    BenchError,
    SendRate,
    count_lines,
    log_entries,
    peak_memory_mb,
    send_rate,
    start,
    start_emulator,
    stop,
    wait_for,
)
from bench.report import Row
from bench.throughput import LATENCY, texts

MESSAGES = 60
BUDGET = 180.0  # seconds; a slower peer is measured on what it sent by then
FIRST_SEND = 30.0  # seconds to the first message: longer means it cannot drive the modem
APT_LINE = "apt-get install -y --no-install-recommends gammu-smsd"

# Everything the manual offers for speed: no sleep in the main loop, no battery, signal,
# network or PIN checks between sends, no status refresh, inbox checks only when idle.
SMSDRC = """\
[gammu]
device = {device}
connection = at

[smsd]
service = files
inboxpath = {dir}/inbox/
outboxpath = {dir}/outbox/
sentsmspath = {dir}/sent/
errorsmspath = {dir}/error/
logfile = {dir}/smsd.log
debuglevel = {debug}
LoopSleep = 0
CommTimeout = 0
SendTimeout = 10
ReceiveFrequency = 3600
StatusFrequency = 0
CheckSecurity = 0
CheckBattery = 0
CheckSignal = 0
CheckNetwork = 0
ResetFrequency = 0
HardResetFrequency = 0
DeliveryReport = no
"""


def ensure_gammu_smsd() -> str:
    """The path of gammu-smsd, installing Debian's package when it is missing."""
    found = shutil.which("gammu-smsd")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], APT_LINE.split()):
        subprocess.run([*sudo, *argv], env=env, stdin=subprocess.DEVNULL, check=False)
    found = shutil.which("gammu-smsd")
    if not found:
        raise BenchError(f"gammu-smsd is not installed and could not be: run `sudo {APT_LINE}`")
    return found


def version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    first = out.stdout.splitlines()[:1]
    return first[0].split()[-1] if first else "?"


def write_spool(workdir: Path, device: Path, items: list[tuple[str, str]], debug: int) -> Path:
    for sub in ("inbox", "outbox", "sent", "error"):
        (workdir / sub).mkdir(exist_ok=True)
    # OUT<priority>_<recipient>_<serial>.txt; the daemon sends in file-name order.
    for serial, (to, text) in enumerate(items):
        (workdir / "outbox" / f"OUTA_{to}_{serial:03d}.txt").write_text(text, encoding="ascii")
    rc = workdir / "smsdrc"
    rc.write_text(SMSDRC.format(device=device, dir=workdir, debug=debug))
    return rc


def diagnose(workdir: Path) -> str:
    """The last lines of gammu-smsd's log that say what went wrong."""
    log = workdir / "smsd.log"
    if not log.exists():
        return "gammu-smsd wrote no log"
    lines = log.read_text(errors="replace").splitlines()
    bad = [ln for ln in lines if "error" in ln.lower() or "fail" in ln.lower()]
    return " / ".join((bad or lines)[-3:]) or "empty log"


def measure(workdir: Path, n: int = MESSAGES, debug: int = 1) -> tuple[SendRate, float]:
    """Returns the peer's send rate and its peak memory in MB."""
    binary = ensure_gammu_smsd()
    link, log = workdir / "modem", workdir / "emulator.jsonl"
    items = texts(n)
    rc = write_spool(workdir, link, items, debug)
    emulator = start_emulator(link, log, "--send-latency", str(LATENCY))
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    peer = start([binary, "-c", str(rc)], workdir / "smsd.out", env)

    def sent_at_least(count: int) -> Callable[[], bool]:
        return lambda: count_lines(log) >= count or peer.poll() is not None

    try:
        with contextlib.suppress(BenchError):
            wait_for(sent_at_least(1), FIRST_SEND, "the first message")
            # A peer slower than the budget is measured on what it sent by then.
            wait_for(sent_at_least(n), BUDGET, f"{n} messages")
        if peer.poll() is not None:
            raise BenchError(f"gammu-smsd exited with {peer.returncode}: {diagnose(workdir)}")
        memory = peak_memory_mb(peer.pid)
    finally:
        stop(peer)
        stop(emulator)
    entries = log_entries(log)
    if not entries:
        raise BenchError(f"gammu-smsd sent nothing in {FIRST_SEND:.0f} s: {diagnose(workdir)}")
    return send_rate(entries, LATENCY), memory


def run(workdir: Path) -> list[Row]:
    binary = ensure_gammu_smsd()
    rate, memory = measure(workdir)
    of = f"{rate.messages} msgs"
    if rate.messages < MESSAGES:
        of = f"{rate.messages} of {MESSAGES} msgs in {BUDGET:.0f} s"
    return [
        Row(
            "peer.rate",
            f"peer gammu-smsd {version(binary)} (1 modem, {of}, {LATENCY} s/send)",
            rate.rate,
            "msg/s",
            note=f"ratio {rate.ratio(LATENCY):.3f} of 1/latency; LoopSleep=0, checks off",
        ),
        Row("peer.memory", "gammu-smsd peak memory", memory, "MB", note="VmHWM"),
    ]


def compare(rows: list[Row]) -> Row | None:
    """smsgw's rate as a multiple of the peer's, when both were measured."""
    rates = {r.key: r.figure for r in rows if r.key in ("throughput.rate", "peer.rate")}
    ours, theirs = rates.get("throughput.rate"), rates.get("peer.rate")
    if not ours or not theirs:
        return None
    return Row(
        "peer.multiple",
        "smsgw send rate / gammu-smsd send rate",
        ours / theirs,
        "x",
        note=f"{ours:.1f} vs {theirs:.2f} msg/s",
        target="> 1",
        ok=ours > theirs,
    )
