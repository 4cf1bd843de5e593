"""What the peers (gammu-smsd, smstools3) share: installing the Debian package, driving the
daemon against an emulated modem, reading its log when it fails, and the comparison rows.

Each peer writes its own spool and configuration before the run; the device is always
`<workdir>/modem`, the emulator's link, so a configuration can name it before it exists.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.procs import (
    BenchError,
    Proc,
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

FIRST_SEND = 30.0  # seconds to the first message: longer means it cannot drive the modem
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"  # smsd lives in /usr/sbin, off a user's PATH
# The peers run under a fixed UTF-8 locale, whatever the caller's.
ENV = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}

# The peers' rate keys and names, for smsgw's multiple of each.
PEERS = {"peer.rate": "gammu-smsd", "peer_smstools.rate": "smstools3"}


class NotInstalled(BenchError):
    """The peer's package is missing (and, for gammu-smsd, could not be installed)."""


def apt_line(package: str) -> str:
    return f"apt-get install -y --no-install-recommends {package}"


def which(binary: str) -> str | None:
    return shutil.which(binary, path=f"{os.environ.get('PATH', '')}:{SBIN}")


def installed(binary: str, package: str) -> str:
    """The path of `binary`, or NotInstalled saying how to install Debian's `package`."""
    found = which(binary)
    if not found:
        raise NotInstalled(f"{package} is not installed: run `sudo {apt_line(package)}`")
    return found


def ensure_installed(binary: str, package: str) -> str:
    """The path of `binary`, installing Debian's `package` when it is missing: as root, or
    with `sudo -n` (which fails at once rather than ask for a password)."""
    if which(binary):
        return installed(binary, package)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], apt_line(package).split()):
        with contextlib.suppress(OSError):  # no sudo at all
            subprocess.run([*sudo, *argv], env=env, stdin=subprocess.DEVNULL, check=False)
    return installed(binary, package)


def first_line(argv: Sequence[str]) -> str:
    out = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    lines = (out.stdout or out.stderr).splitlines()
    return lines[0] if lines else ""


def diagnose(log: Path, who: str) -> str:
    """The last lines of a peer's log that say what went wrong."""
    if not log.exists():
        return f"{who} wrote no log"
    lines = log.read_text(errors="replace").splitlines()
    bad = [ln for ln in lines if "error" in ln.lower() or "fail" in ln.lower()]
    return " / ".join((bad or lines)[-3:]) or "empty log"


def tree_memory_mb(pid: int) -> float:
    """VmHWM of a process plus its children's: smstools3 sends from a forked modem process."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return peak_memory_mb(pid) + sum(peak_memory_mb(int(c)) for c in children)


def drive(
    workdir: Path,
    argv: Sequence[str],
    *,
    who: str,
    log: Path,
    items: list[tuple[str, str]],
    latency: float,
    budget: float,
) -> tuple[SendRate, float]:
    """Start the emulator at `latency` s a send, then the peer (`argv`, its spool already
    written with `items`); returns its send rate and peak memory (MB).

    A peer slower than `budget` seconds is measured on what it had sent by then, and what
    it sent must be among `items`, number and text.
    """
    n = len(items)
    link, sent_log = workdir / "modem", workdir / "emulator.jsonl"
    emulator = start_emulator(link, sent_log, "--send-latency", str(latency))
    try:
        peer = start(argv, workdir / f"{who}.out", ENV)
        try:
            memory = watch(peer, sent_log, n, budget, who, log)
        finally:
            stop_tree(peer)
    finally:
        stop(emulator)
    entries = log_entries(sent_log)
    if not entries:
        raise BenchError(f"{who} sent nothing in {FIRST_SEND:.0f} s: {diagnose(log, who)}")
    sent = [(e["to"], e["text"]) for e in entries]
    if not set(sent) <= set(items) or len(set(sent)) != len(sent):
        raise BenchError(f"{who} sent messages it was not given, or one twice; see {sent_log}")
    return send_rate(entries, latency), memory


def watch(peer: Proc, sent_log: Path, n: int, budget: float, who: str, log: Path) -> float:
    """Wait for the first message, then for `n` or the budget; the peer's peak memory (MB)."""

    def sent_at_least(count: int) -> Callable[[], bool]:
        return lambda: count_lines(sent_log) >= count or peer.poll() is not None

    with contextlib.suppress(BenchError):
        wait_for(sent_at_least(1), FIRST_SEND, "the first message")
        wait_for(sent_at_least(n), budget, f"{n} messages")
    if peer.poll() is not None:
        raise BenchError(f"{who} exited with {peer.returncode}: {diagnose(log, who)}")
    return tree_memory_mb(peer.pid)


def stop_tree(proc: Proc) -> None:
    """Stop a peer; a child it forked and left behind (it was killed) is ended by its pid."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        children = []
    stop(proc)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(child), signal.SIGKILL)


def sent_of(rate: SendRate, n: int, budget: float) -> str:
    """How much was sent: `60 msgs`, or `41 of 60 msgs in 180 s` when the budget ran out."""
    if rate.messages < n:
        return f"{rate.messages} of {n} msgs in {budget:.0f} s"
    return f"{rate.messages} msgs"


def not_installed_row(key: str, package: str, reason: str) -> Row:
    """A peer that is not installed: said in its row, not counted as a failure."""
    return Row(key, f"peer {package}: not installed", None, "", note=reason)


def compare(rows: list[Row]) -> list[Row]:
    """smsgw's rate as a multiple of each peer's, for the peers measured."""
    rates = {r.key: r.figure for r in rows if r.figure}
    ours = rates.get("throughput.rate")
    if not ours:
        return []
    multiples = []
    for key, who in PEERS.items():
        theirs = rates.get(key)
        if theirs:
            multiples.append(
                Row(
                    key.replace(".rate", ".multiple"),
                    f"smsgw send rate / {who} send rate",
                    ours / theirs,
                    "x",
                    note=f"{ours:.1f} vs {theirs:.2f} msg/s, same emulator, same run",
                )
            )
    return multiples
