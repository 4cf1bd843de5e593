"""Real processes for the reliability tests: `smsgw emulator` and `smsgw daemon`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from gateway.outbox.queue import Outbox

SMSGW = [sys.executable, "-m", "gateway.cli"]


def handed_over(outbox: Outbox) -> int:
    """Messages the network took: sent, and those whose delivery report already came."""
    counts = outbox.counts()
    return counts["sent"] + counts["delivered"]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_emulator(link: Path, log: Path, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [*SMSGW, "emulator", "--link", str(link), "--log", str(log), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the device path, printed once the pty is up
    assert first.strip(), "emulator printed no device path"
    wait_for(link.exists, 15, "the emulator's link")
    return proc


def write_config(tmp: Path, db_url: str, port: Path, **outbox: float) -> Path:
    settings = {"retry_base": 0.2, "retry_max": 1.0, "poll_interval": 0.1, **outbox}
    lines = "\n".join(f"{k} = {v}" for k, v in settings.items())
    path = tmp / "config.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[gateway]\nnode = "test"\n\n'
        # These runs text hundreds of numbers, more than a SIM's budget (tested on its own)
        # leaves broadcasts once it keeps a reserve for duty traffic.
        f'[[modem]]\nname = "m1"\ndriver = "at"\nport = "{port}"\nmax_recipients_per_day = 0\n'
        f"\n[outbox]\n{lines}\n"
    )
    return path


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [*SMSGW, "daemon", "--config", str(config)], stdout=out, stderr=subprocess.STDOUT
        )


def stop(proc: subprocess.Popen[str] | subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def sent_texts(log: Path) -> Counter[str]:
    """What reached the 'network': one count per text, from the emulator's JSON log."""
    if not log.exists():
        return Counter()
    return Counter(json.loads(line)["text"] for line in log.read_text().splitlines() if line)


def texts_to(log: Path, number: str) -> list[str]:
    """The parts the emulator took for one number, in order, from its JSON log."""
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text().splitlines() if line]
    return [e["text"] for e in entries if e["to"] == number]
