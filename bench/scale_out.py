"""Several gateways on one PostgreSQL (issue 9): three `smsgw daemon` processes with two
emulated modems each share the queue, then one alert fans out to 26,500 on PostgreSQL.

The throughput run starts the six emulators and three daemons first, waits until every
modem reports ready, then queues the messages in one transaction: its NOTIFY is what
wakes all three gateways, so the figure includes the hand-off between them. The rate is
over the six logs merged, against six ceilings; every (number, text) must arrive once.
The server is a throw-away cluster (bench/pgserver.py) on this machine, sharing its two
cores with the three daemons and the six emulators.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bench import fanout
from bench.pgserver import throwaway_server
from bench.pool import check_once
from bench.procs import (
    SMSGW,
    BenchError,
    Proc,
    count_lines,
    log_entries,
    send_rate,
    start,
    start_emulator,
    stop,
    wait_for,
)
from bench.report import Row
from bench.throughput import LATENCY, RECIPIENT_LIMIT, texts, write_config
from gateway.core import migrate
from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine
from gateway.modems import status as modem_status
from gateway.outbox.queue import Outbox

GATEWAYS = 3
MODEMS_EACH = 2
MESSAGES = 3000
TARGET_RATIO = 0.93  # issue 20


def measure_throughput(workdir: Path, db_url: str, n: int = MESSAGES) -> tuple[float, int]:
    """(messages a second over all modems, messages sent)."""
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    modems = GATEWAYS * MODEMS_EACH
    links = [workdir / f"modem{i}" for i in range(1, modems + 1)]
    logs = [workdir / f"emulator{i}.jsonl" for i in range(1, modems + 1)]
    emulators: list[Proc] = []
    daemons: list[Proc] = []
    items = texts(n)
    try:
        for link, log in zip(links, logs, strict=True):
            emulators.append(start_emulator(link, log, "--send-latency", str(LATENCY)))
        for g in range(GATEWAYS):
            ports = links[g * MODEMS_EACH : (g + 1) * MODEMS_EACH]
            node = f"gw{g + 1}"
            config = write_config(
                workdir, db_url, ports, reports=False, node=node, first=g * MODEMS_EACH + 1
            )
            daemons.append(
                start([*SMSGW, "daemon", "--config", str(config)], workdir / f"{node}.log")
            )

        def all_ready() -> bool:
            states = [m.state for m in modem_status.all_modems(engine)]
            return len(states) == modems and set(states) == {"ready"}

        wait_for(all_ready, 60, "all six modems to be ready")
        Outbox(engine, OutboxConfig(), "bench").enqueue_many(items, ids=False)
        wait_for(
            lambda: (
                sum(count_lines(log) for log in logs) >= n
                or any(d.poll() is not None for d in daemons)
            ),
            30 + 3 * n * LATENCY / modems,
            f"{n} messages at the emulators",
        )
        if any(d.poll() is not None for d in daemons):
            raise BenchError("a daemon exited during the run; see gw*.log")
    finally:
        for daemon in daemons:
            stop(daemon)
        for emulator in emulators:
            stop(emulator)
        engine.dispose()
    merged = [e for log in logs for e in log_entries(log)]
    check_once(merged, items)
    return send_rate(merged, LATENCY).rate, len(merged)


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    with throwaway_server() as server:
        (workdir / "pool").mkdir()
        rate, count = measure_throughput(workdir / "pool", server.new_database())
        (workdir / "fanout").mkdir()
        queued_s, first_s = fanout.measure(workdir / "fanout", server.new_database())
    modems = GATEWAYS * MODEMS_EACH
    ceiling = modems / LATENCY
    ratio = rate / ceiling
    return [
        Row(
            "scale_out.rate",
            f"PostgreSQL: {GATEWAYS} gateways x {MODEMS_EACH} modems, {count} msgs",
            rate,
            "msg/s",
            note=(
                f"ratio {ratio:.3f} of {modems} x {1 / LATENCY:.0f}/s = {ceiling:.0f}/s;"
                f" each (number, text) once; max_recipients_per_day = {RECIPIENT_LIMIT}"
            ),
            target=f"ratio >= {TARGET_RATIO}",
            ok=ratio >= TARGET_RATIO,
        ),
        *fanout.rows(queued_s, first_s, "PostgreSQL", key="scale_out.fanout"),
    ]
