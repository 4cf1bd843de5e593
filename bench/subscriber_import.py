"""A force's subscriber list through `import_csv` and `export_csv`, on a fresh SQLite file.

26,500 CSV rows in 3 lists. Ofcom keeps only 20,000 drama numbers (the only numbers we may
use), so the rows are 20,000 people: the last 6,500 rows repeat numbers with other lists,
which exercises the merge. Three figures: the first import (everyone new), the same file
again (everyone known: an officer's monthly re-import), and the export.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from bench.procs import BenchError
from bench.report import Row
from gateway.core import migrate
from gateway.core.db import make_engine
from gateway.subscribers.csv_io import export_csv, import_csv
from gateway.subscribers.service import Subscribers

ROWS = 26_500
LISTS = (("Docking farms", "DOCKING"), ("North", "NORTH"), ("Shop watch", "SHOPS"))
CELLS = ("Docking farms", "north", "SHOPS ; Docking farms")  # by name, case, keyword
T = TypeVar("T")


def _drama() -> ModuleType:
    """tests/drama.py holds Ofcom's ranges; the bench is not a test, so load it by path."""
    path = Path(__file__).resolve().parents[1] / "tests" / "drama.py"
    spec = importlib.util.spec_from_file_location("smsgw_test_drama", path)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_file(path: Path, rows: int) -> int:
    """Write the CSV; return how many distinct people it holds."""
    drama = _drama()
    phones: list[str] = drama.numbers(drama.COUNT)
    lines = ["phone,name,lists\n"]
    lines += [f"{phones[i % len(phones)]},Person {i},{CELLS[i % 3]}\n" for i in range(rows)]
    path.write_text("".join(lines), encoding="utf-8")
    return min(rows, len(phones))


def _timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def run(workdir: Path) -> list[Row]:
    source, exported = workdir / "force.csv", workdir / "export.csv"
    people = write_file(source, ROWS)
    engine = make_engine(f"sqlite:///{workdir / 'smsgw.db'}")
    try:
        migrate.upgrade(engine)
        for name, keyword in LISTS:
            Subscribers(engine).add_list(name, keyword)
        first, first_s = _timed(lambda: import_csv(engine, source))
        again, again_s = _timed(lambda: import_csv(engine, source))
        written, export_s = _timed(lambda: export_csv(engine, exported))
    finally:
        engine.dispose()
    if first.bad or (first.new_subscribers, again.memberships, written) != (people, 0, people):
        raise BenchError(f"unexpected results: {first!r}, then {again!r}, {written} exported")
    what = f"{ROWS} rows, {people} people, 3 lists"
    return [
        Row(
            "subscriber_import.first",
            f"subscriber import, empty database ({what})",
            first_s,
            "s",
            note=f"{ROWS / first_s:.0f} rows/s; {first.memberships} memberships and consents",
        ),
        Row(
            "subscriber_import.again",
            "subscriber import, the same file again (all known)",
            again_s,
            "s",
            note=f"{ROWS / again_s:.0f} rows/s",
        ),
        Row(
            "subscriber_import.export",
            f"subscriber export ({people} people)",
            export_s,
            "s",
            note=f"{people / export_s:.0f} people/s",
        ),
    ]
