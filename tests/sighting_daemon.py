"""The real daemon on the emulator, set up for sightings and officers' commands: a
DOCKING list with one keeper on it, the desk as fallback, and what each number was sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from hardware.emulator import Emulator

KEEPER = "+447700900501"
STRANGER = "+447700900502"
OFFICER = "+447700900601"
BACKUP = "+447700900602"
ADMIN = "+447700900698"
DESK = "+447700900699"
PIN = "4821"


@contextmanager
def running(
    tmp_path: Path, db_url: str, engine: Engine, **sections: dict[str, Any]
) -> Iterator[tuple[Daemon, Emulator]]:
    """The daemon started; `sections` add to (or override) the config's tables."""
    tables: dict[str, dict[str, Any]] = {
        "database": {"url": db_url},
        "gateway": {"node": "test"},
        "outbox": {"poll_interval": 0.05, "status_reports": False},
        "rota": {"fallback_number": DESK, "escalate_after": 60},
    }
    for name, values in sections.items():
        tables[name] = {**tables.get(name, {}), **values}
    tables["modem"] = [{"name": "e1", "driver": "emulator", "log": str(tmp_path / "e.log")}]
    daemon = Daemon(config_mod.from_dict(tables), engine=engine)
    daemon.subscribers.add_list("Docking farms", "DOCKING")
    daemon.subscribers.join(KEEPER, "DOCKING", name="Tom Wright", method="officer", by="pc")
    daemon.start()
    emulator = daemon.built[0].emulator
    assert emulator is not None
    try:
        yield daemon, emulator
    finally:
        daemon.stop()


def texts_to(tmp_path: Path, number: str) -> list[str]:
    path = tmp_path / "e.log"
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = [json.loads(x) for x in path.read_text().splitlines()]
    return [e["text"] for e in entries if e["to"] == number]


def on_shift(daemon: Daemon, phone: str, role: str = "primary") -> int:
    op = daemon.rota.add_operator(f"PC {phone[-3:]}", phone, pin=PIN)
    now = utcnow()
    daemon.rota.add_shift(op.id, now - timedelta(hours=1), now + timedelta(hours=8), role=role)
    return op.id
