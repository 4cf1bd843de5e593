"""`smsgw run` at rest on a small board: resident memory and CPU with one modem and
nothing to send (issue 20's target: at most 60 MB and under 1 % of one core).

The gateway is started as systemd/smsgw.service starts it on a Pi: `smsgw db upgrade` in
a process of its own (the unit's ExecStartPre), then `smsgw run`, daemon and console in
one process, on one emulated modem in its own process with the default config otherwise
(delivery reports on, health sampled every `health_interval`). After the modem is ready
and the console has answered one page, the process is left alone for IDLE_SECONDS; its
CPU time comes from /proc/<pid>/stat and its memory (VmRSS, and VmHWM, the most it held
at any time since it started) from /proc/<pid>/status.
"""

from __future__ import annotations

import socket
import subprocess
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
TARGET_MB = 60.0
TARGET_CPU = 0.01  # of one core


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
    port = _free_port()
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    config = workdir / "config.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[gateway]\nnode = "idle"\n\n'
        f'[[modem]]\nname = "m1"\ndriver = "at"\nport = "{link}"\n\n'
        f'[web]\nlisten = "127.0.0.1:{port}"\n'
    )
    # The unit's ExecStartPre: the schema made current before the gateway starts.
    with (workdir / "upgrade.log").open("ab") as log:
        subprocess.run(
            [*SMSGW, "db", "upgrade", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=60,
        )
    emulator = start_emulator(link, workdir / "sent.jsonl")
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
            target=f"<= {TARGET_MB:.0f} MB",
            ok=resident <= TARGET_MB and peak <= TARGET_MB,
        ),
    ]
