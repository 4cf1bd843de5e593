"""Rows, the machine they were measured on, the table and results.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results.json")


@dataclass(frozen=True)
class Row:
    """One figure. `ok` is None for a figure that is reported but has no target."""

    key: str  # stable id for results.json, e.g. "throughput.rate"
    name: str
    figure: float | None
    unit: str
    note: str = ""
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        if self.figure is None and self.ok is False:
            return "ERROR"
        return {True: "ok", False: "FAIL", None: "-"}[self.ok]


def error_row(key: str, name: str, reason: str) -> Row:
    """A benchmark that could not measure anything still gets a line in the table."""
    return Row(key, name, None, "", note=reason, target="", ok=False)


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
    }


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware"):
            return value.strip()
    return platform.processor() or "unknown"


def _figure(row: Row) -> str:
    if row.figure is None:
        return "-"
    magnitude = abs(row.figure)
    if magnitude >= 100:
        return f"{row.figure:.0f}"
    if magnitude >= 10:
        return f"{row.figure:.1f}"
    if magnitude >= 0.1:
        return f"{row.figure:.2f}"
    return f"{row.figure:.4f}"


def table(rows: list[Row], info: dict[str, Any]) -> str:
    header = ("benchmark", "figure", "unit", "detail", "target", "result")
    body = [(r.name, _figure(r), r.unit, r.note, r.target or "-", r.verdict) for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['system']}",
        fmt(header),
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
        *(fmt(cells) for cells in body),
    ]
    return "\n".join(lines)


def write_json(rows: list[Row], info: dict[str, Any], seconds: float, path: Path = RESULTS) -> None:
    data = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "argv": sys.argv[1:],
        "duration_s": round(seconds, 1),
        "rows": [{**asdict(r), "verdict": r.verdict} for r in rows],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
