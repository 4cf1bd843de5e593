"""`smsgw run` at rest on a small board: resident memory and CPU with one modem and
nothing to send (issue 8's target: under 100 MB and under 2 % of one core).

The gateway runs as a real process, daemon and console together as on a Pi, on one
emulated modem in its own process with the default config otherwise (delivery reports
on, health sampled every `health_interval`). After the modem is ready and the console
has answered one page, the process is left alone for IDLE_SECONDS; its CPU time comes
from /proc/<pid>/stat and its memory from /proc/<pid>/status.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

from bench.procs import (
    SMSGW,
    BenchError,
    cpu_seconds,
    peak_memory_mb,
    start,
    start_emulator,
    stop,
    wait_for,
)
from bench.report import Row
from gateway.core.db import make_engine
from gateway.modems import status as modem_status

IDLE_SECONDS = 60.0
SETTLE = 5.0  # seconds after start-up before the clock starts
TARGET_MB = 100.0
TARGET_CPU = 0.02  # of one core


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS in /proc/{pid}/status")


def measure(workdir: Path) -> tuple[float, float, float]:
    """(CPU share of one core, resident MB, peak MB) of an idle `smsgw run`."""
    link = workdir / "modem"
    emulator = start_emulator(link, workdir / "sent.jsonl")
    port = _free_port()
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    config = workdir / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[gateway]\nnode = "idle"\n\n'
        f'[[modem]]\nname = "m1"\ndriver = "at"\nport = "{link}"\n\n'
        f'[web]\nlisten = "127.0.0.1:{port}"\n'
    )
    gateway = start([*SMSGW, "run", "--config", str(config)], workdir / "run.log")
    try:
        engine = make_engine(db_url)

        def ready() -> bool:
            try:
                return any(m.state == "ready" for m in modem_status.all_modems(engine))
            except Exception:  # the daemon has not made its tables yet
                return False

        wait_for(ready, 30, "the modem to be ready")
        engine.dispose()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            if page.status != 200:
                raise BenchError(f"the console answered {page.status}")
        time.sleep(SETTLE)
        cpu_before, started = cpu_seconds(gateway.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        share = (cpu_seconds(gateway.pid) - cpu_before) / (time.monotonic() - started)
        return share, _resident_mb(gateway.pid), peak_memory_mb(gateway.pid)
    finally:
        stop(gateway)
        stop(emulator)


def run(workdir: Path) -> list[Row]:
    share, resident, peak = measure(workdir)
    return [
        Row(
            "idle.cpu",
            f"smsgw run idle, 1 modem: CPU ({IDLE_SECONDS:.0f} s)",
            share * 100,
            "% core",
            note="daemon and console in one process; health sampled, delivery reports on",
            target=f"< {TARGET_CPU * 100:.0f} %",
            ok=share < TARGET_CPU,
        ),
        Row(
            "idle.rss",
            "smsgw run idle, 1 modem: resident memory",
            resident,
            "MB",
            note=f"VmRSS; peak VmHWM {peak:.1f} MB",
            target=f"< {TARGET_MB:.0f} MB",
            ok=resident < TARGET_MB and peak < TARGET_MB,
        ),
    ]
