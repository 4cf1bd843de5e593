"""Fan-out of one alert to 26,500 recipients on SQLite (issue 5's target: every message
queued in under 2 s, the first on the wire in under 1 s).

A daemon runs in this process on one emulated modem (0.05 s a send), so "on the wire" is
the emulator accepting the first AT+CMGS. Recipients are fictional numbers only (Ofcom's
20,000 drama numbers, then North America's 555-01xx), imported as subscribers of three
lists; the alert goes to all three, so the de-duplication across lists is part of the time.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.procs import BenchError, wait_for
from bench.report import Row
from bench.subscriber_import import _drama
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.models import Message
from gateway.subscribers.csv_io import import_csv

RECIPIENTS = 26_500
LISTS = ("DOCKING", "NORTH", "SHOPS")
ALL_QUEUED_TARGET = 2.0  # seconds
FIRST_ON_WIRE_TARGET = 1.0


def measure(workdir: Path, db_url: str) -> tuple[float, float]:
    """Seconds from 'send' to every message queued, and to the first on the wire."""
    phones: list[str] = _drama().fictional(RECIPIENTS)
    csv = workdir / "people.csv"
    csv.write_text(
        "phone,name,lists\n"
        + "".join(f"{p},,{LISTS[i % 3]};{LISTS[(i + 1) % 3]}\n" for i, p in enumerate(phones))
    )
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "bench"},
            "modem": [
                {
                    "name": "e1",
                    "driver": "emulator",
                    "send_latency": 0.05,
                    "max_recipients_per_day": 0,
                }
            ],
            "outbox": {"status_reports": False},
        }
    )
    daemon = Daemon(cfg)
    daemon.start()
    try:
        for name in LISTS:
            daemon.subscribers.add_list(name.title(), name)
        report = import_csv(daemon.engine, csv)
        if report.bad or report.imported != RECIPIENTS:
            raise BenchError(f"import: {report.imported} people, {len(report.bad)} bad rows")
        emulator = daemon.built[0].emulator
        assert emulator is not None
        wait_for(lambda: daemon.workers[0].state == "ready", 20, "the modem")
        wall, started = time.time(), time.perf_counter()
        made = daemon.alerts.create(
            "Bench: silver Subaru KX19 ABC heading to Docking", list(LISTS), by="bench"
        )
        queued_s = time.perf_counter() - started
        wait_for(lambda: len(emulator.sent) > 0, 10, "the first message on the wire")
        first_s = emulator.sent[0].at.timestamp() - wall
        with daemon.engine.connect() as conn:
            count = conn.scalar(select(func.count()).where(Message.alert_id == made.id))
        if count != RECIPIENTS:
            raise BenchError(f"{count} messages queued for {RECIPIENTS} recipients")
    finally:
        daemon.stop()
    return queued_s, first_s


def rows(queued_s: float, first_s: float, database: str, key: str = "fanout") -> list[Row]:
    return [
        Row(
            f"{key}.queued",
            f"fan-out: alert to {RECIPIENTS} recipients, all queued ({database})",
            queued_s,
            "s",
            note="3 lists, de-duplicated, key contacts first",
            target=f"< {ALL_QUEUED_TARGET} s",
            ok=queued_s < ALL_QUEUED_TARGET,
        ),
        Row(
            f"{key}.first",
            f"fan-out: first message on the wire ({database})",
            first_s,
            "s",
            note="from 'send' to the emulator accepting the first AT+CMGS",
            target=f"< {FIRST_ON_WIRE_TARGET} s",
            ok=first_s < FIRST_ON_WIRE_TARGET,
        ),
    ]


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    return rows(*measure(workdir, f"sqlite:///{workdir / 'smsgw.db'}"), "SQLite")
