"""500 messages through one emulated modem, with real processes and a fresh SQLite file.

A modem that takes `LATENCY` per AT+CMGS allows 1/LATENCY messages a second; the gateway
should reach nearly that, because it neither polls nor sleeps between sends.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from gateway.core import migrate
from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine
from gateway.outbox.queue import Outbox

MESSAGES = 500
LATENCY = 0.05  # seconds per send at the emulator: a ceiling of 20 msg/s
TARGET_RATIO = 0.97  # issue 20, with synchronous=FULL
NODE = "bench"
RECIPIENT_LIMIT = 0  # max_recipients_per_day: 0 = no limit


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


def write_config(
    workdir: Path,
    db_url: str,
    ports: Sequence[Path],
    *,
    reports: bool = True,
    node: str = NODE,
    first: int = 1,
) -> Path:
    """One `[[modem]]` per port, named m<first>, m<first + 1>, ... in `<node>.toml` (or
    config.toml for the default node): several gateways can share one working directory.

    `max_recipients_per_day = 0` lifts the 300-distinct-numbers-a-day budget (UK networks
    bar a SIM beyond it), which a benchmark texting hundreds of numbers would hit and stall.
    """
    modems = "".join(
        f'[[modem]]\nname = "m{i}"\ndriver = "at"\nport = "{port}"\n'
        f"max_recipients_per_day = {RECIPIENT_LIMIT}\n\n"
        for i, port in enumerate(ports, first)
    )
    path = workdir / ("config.toml" if node == NODE else f"{node}.toml")
    outbox = f"[outbox]\nstatus_reports = {'true' if reports else 'false'}\n"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[gateway]\nnode = "{node}"\n\n{modems}{outbox}'
    )
    return path


def settled(db_url: str, n: int) -> dict[str, int]:
    """The outbox's counts by state, once every one of `n` messages is sent or delivered.

    Delivery reports are on by default, so a finished message is `sent` or, once the
    emulator's report is in, `delivered`: both count.
    """
    engine = make_engine(db_url)
    try:
        counts = Outbox(engine, OutboxConfig(), NODE).counts()
    finally:
        engine.dispose()
    done = counts["sent"] + counts["delivered"]
    if done != n or sum(counts.values()) != n:
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        raise BenchError(f"{n} queued but {done} sent or delivered in the database ({shown})")
    return counts


def finished_note(counts: dict[str, int]) -> str:
    return f"{counts['delivered']} delivered + {counts['sent']} sent"


def measure(
    workdir: Path,
    n: int = MESSAGES,
    latency: float = LATENCY,
    *,
    reports: bool = True,
    daemon_argv: Sequence[str] = (*SMSGW, "daemon"),
) -> tuple[SendRate, float, dict[str, int]]:
    """Returns the send rate, the daemon's peak memory in MB and the outbox's counts.

    `daemon_argv` starts the daemon (given `--config`): another launcher of the same
    daemon, such as bench.normal_daemon's, is measured the same way."""
    link, log = workdir / "modem", workdir / "emulator.jsonl"
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    items = texts(n)
    queue(db_url, items)
    emulator = start_emulator(link, log, "--send-latency", str(latency))
    try:
        config = write_config(workdir, db_url, [link], reports=reports)
        daemon = start([*daemon_argv, "--config", str(config)], workdir / "daemon.log")
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
    return send_rate(entries, latency), memory, settled(db_url, n)


def run(workdir: Path) -> list[Row]:
    """The spine's figure (delivery reports off, as in issue 2), then the default set-up,
    where every send also brings a +CDS report to match."""
    (workdir / "plain").mkdir()
    (workdir / "reports").mkdir()
    rate, memory, counts = measure(workdir / "plain", reports=False)
    with_reports, _, counts_r = measure(workdir / "reports", reports=True)
    ratio, ratio_r = rate.ratio(LATENCY), with_reports.ratio(LATENCY)
    return [
        Row(
            "throughput.rate",
            f"throughput (1 modem, {rate.messages} msgs, {LATENCY} s/send, no delivery reports)",
            rate.rate,
            "msg/s",
            note=(
                f"ratio {ratio:.3f} of 1/latency = {1 / LATENCY:.0f}/s; {finished_note(counts)};"
                f" max_recipients_per_day = {RECIPIENT_LIMIT}"
            ),
            target=f"ratio >= {TARGET_RATIO}",
            ok=ratio >= TARGET_RATIO,
        ),
        Row(
            "throughput.rate_reports",
            f"throughput with delivery reports (1 modem, {with_reports.messages} msgs)",
            with_reports.rate,
            "msg/s",
            note=f"ratio {ratio_r:.3f}; a +CDS per send, matched in batches; "
            f"{finished_note(counts_r)}",
        ),
        Row(
            "throughput.memory",
            "daemon peak memory during throughput",
            memory,
            "MB",
            note="VmHWM just before stopping",
        ),
    ]
