"""How long a one-shot command takes, start to exit: scripts call `smsgw send` once per
message, and on a Pi every module it imports costs several times what it costs here.

`smsgw send` runs against a config and a SQLite file already migrated (the schema check
is then one query), as a real process; the figure is the median of RUNS. `smsgw --help`
shows what starting the command line costs before any command's module is loaded. The
reference row is the floor under any command that opens the database through SQLAlchemy:
Python importing it and running one query on the same file. `smsgw send` goes under it on
SQLite (gateway/outbox/lite.py uses the standard library's sqlite3).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.procs import SMSGW, BenchError, drama_number
from bench.report import Row
from gateway.core import migrate
from gateway.core.db import make_engine

RUNS = 10
TARGET_SEND = 0.3  # seconds (issue 15)

FLOOR = (
    "import sys\nfrom sqlalchemy import create_engine, text\n"
    "create_engine(sys.argv[1]).connect().execute(text('SELECT 1'))"
)

# Counts the modules `smsgw ARGS` leaves imported (printed last on stderr).
COUNT = (
    "import sys\nfrom gateway.cli import main\ntry:\n    main(sys.argv[1:])\n"
    "finally:\n    print(len(sys.modules), file=sys.stderr)"
)


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"{' '.join(args[2:])} exited {done.returncode}: {done.stderr.strip()}")
    return took


def median_seconds(args: list[str]) -> float:
    """The median wall time of RUNS runs, after one to warm the page cache."""
    _run(args)
    return statistics.median(_run(args) for _ in range(RUNS))


def modules(args: list[str]) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT, *args], capture_output=True, text=True, timeout=60
    )
    return int(done.stderr.strip().splitlines()[-1])


def run(workdir: Path) -> list[Row]:
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    engine.dispose()
    config = workdir / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    send = ["send", "--config", str(config), "--to", drama_number(1), "--text", "Gates shut"]
    send_s = median_seconds([*SMSGW, *send])
    help_s = median_seconds([*SMSGW, "--help"])
    bare_s = median_seconds([sys.executable, "-c", "pass"])
    floor_s = median_seconds([sys.executable, "-c", FLOOR, db_url])
    return [
        Row(
            "cli_start.send",
            f"smsgw send, start to exit (median of {RUNS}, migrated SQLite)",
            send_s,
            "s",
            note=f"{modules(send)} modules imported; a bare python starts in {bare_s:.3f} s",
            target=f"<= {TARGET_SEND} s",
            ok=send_s <= TARGET_SEND,
        ),
        Row(
            "cli_start.help",
            f"smsgw --help, start to exit (median of {RUNS})",
            help_s,
            "s",
            note=f"{modules(['--help'])} modules imported",
        ),
        Row(
            "cli_start.floor",
            f"reference: python, SQLAlchemy imported, one query (median of {RUNS})",
            floor_s,
            "s",
            note="what any command that opens the database starts from",
        ),
    ]
