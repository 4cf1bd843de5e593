"""500 messages through one emulated modem, with real processes and a fresh SQLite file.

A modem that takes `LATENCY` per AT+CMGS allows 1/LATENCY messages a second; the gateway
should reach nearly that, because it neither polls nor sleeps between sends.
"""

from __future__ import annotations

from pathlib import Path

from bench.procs import (
    SMSGW,
    BenchError,
    SendRate,
    count_lines,
    drama_number,
    log_entries,
    peak_memory_mb,
    send_rate,
    start,
    start_emulator,
    stop,
    wait_for,
)
from bench.report import Row
from gateway import migrate
from gateway.config import OutboxConfig
from gateway.db import make_engine
from gateway.outbox import Outbox

MESSAGES = 500
LATENCY = 0.05  # seconds per send at the emulator: a ceiling of 20 msg/s
TARGET_RATIO = 0.95
NODE = "bench"


def texts(n: int) -> list[tuple[str, str]]:
    """Distinct drama-range numbers, short GSM-7 texts (one part each)."""
    return [(drama_number(i), f"Bench alert {i:04d}: silver Subaru KX19 ABC") for i in range(n)]


def queue(db_url: str, items: list[tuple[str, str]]) -> None:
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        Outbox(engine, OutboxConfig(), NODE).enqueue_many(items)
    finally:
        engine.dispose()


def write_config(workdir: Path, db_url: str, port: Path) -> Path:
    path = workdir / "config.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[gateway]\nnode = "{NODE}"\n\n'
        f'[[modem]]\nname = "m1"\ndriver = "at"\nport = "{port}"\n'
    )
    return path


def measure(workdir: Path, n: int = MESSAGES, latency: float = LATENCY) -> tuple[SendRate, float]:
    """Returns the send rate and the daemon's peak memory in MB."""
    link, log = workdir / "modem", workdir / "emulator.jsonl"
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    items = texts(n)
    queue(db_url, items)
    emulator = start_emulator(link, log, "--send-latency", str(latency))
    try:
        config = write_config(workdir, db_url, link)
        daemon = start([*SMSGW, "daemon", "--config", str(config)], workdir / "daemon.log")
        try:
            wait_for(
                lambda: count_lines(log) >= n or daemon.poll() is not None,
                30 + 3 * n * latency,
                f"{n} messages at the emulator",
            )
            if daemon.poll() is not None:
                raise BenchError(f"the daemon exited with {daemon.returncode}; see daemon.log")
            memory = peak_memory_mb(daemon.pid)
        finally:
            stop(daemon)
    finally:
        stop(emulator)
    entries = log_entries(log)
    if sorted((e["to"], e["text"]) for e in entries) != sorted(items):
        raise BenchError(f"the emulator log does not hold exactly the {n} queued messages")
    return send_rate(entries, latency), memory


def run(workdir: Path) -> list[Row]:
    rate, memory = measure(workdir)
    ratio = rate.ratio(LATENCY)
    return [
        Row(
            "throughput.rate",
            f"throughput (1 modem, {rate.messages} msgs, {LATENCY} s/send)",
            rate.rate,
            "msg/s",
            note=f"ratio {ratio:.3f} of 1/latency = {1 / LATENCY:.0f}/s",
            target=f"ratio >= {TARGET_RATIO}",
            ok=ratio >= TARGET_RATIO,
        ),
        Row(
            "throughput.memory",
            "daemon peak memory during throughput",
            memory,
            "MB",
            note="VmHWM just before stopping",
        ),
    ]
