"""Signed webhooks through the real daemon on the emulator: a sighting texted in reaches
a local receiver that refuses twice, with one event id and a signature that verifies; a
receiver that hangs never delays a forward."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hook_receiver import Receiver
from procs import wait_for
from sighting_daemon import DESK, KEEPER, STRANGER, texts_to
from sqlalchemy import Engine, select

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core import events
from gateway.core.models import WebhookEvent
from hardware.emulator import Emulator

SECRET = b"0f3c9a-the-forces-shared-secret"


@contextmanager
def running(
    tmp_path: Path, db_url: str, engine: Engine, hook: dict[str, Any]
) -> Iterator[tuple[Daemon, Emulator]]:
    secret = tmp_path / "hook.secret"
    secret.write_bytes(SECRET + b"\n")
    tables: dict[str, Any] = {
        "database": {"url": db_url},
        "gateway": {"node": "test"},
        "outbox": {"poll_interval": 0.05, "status_reports": False},
        "rota": {"fallback_number": DESK},
        "modem": [{"name": "e1", "driver": "emulator", "log": str(tmp_path / "e.log")}],
        "webhook": [{"secret_file": str(secret), "events": ["sighting.filed"], **hook}],
    }
    daemon = Daemon(config_mod.from_dict(tables), engine=engine)
    daemon.start()
    assert daemon.hooks is not None
    daemon.hooks.poll = 0.1
    emulator = daemon.built[0].emulator
    assert emulator is not None
    try:
        yield daemon, emulator
    finally:
        daemon.stop()
        events.configure(())


def test_a_sighting_reaches_a_receiver_that_refuses_twice(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    with Receiver([500, 500, 204]) as receiver:
        hook = {"url": receiver.url, "retry_base": 0.2, "timeout": 2}
        with running(tmp_path, db_url, engine, hook) as (daemon, emulator):
            emulator.inject(KEEPER, "Silver Subaru KX19 ABC lamping at Docking")
            wait_for(lambda: len(receiver.got) >= 3, 10, "three tries")
            time.sleep(0.8)  # delivered: no fourth try
            ref = daemon.sightings.recent()[0].ref
    assert len(receiver.got) == 3
    assert len({g.event["id"] for g in receiver.got}) == 1
    assert len({g.body for g in receiver.got}) == 1  # the same bytes every try
    for got in receiver.got:
        assert got.verifies(SECRET)
        assert not got.verifies(b"another secret")
    event = receiver.got[0].event
    assert event["type"] == "sighting.filed" and set(event) == {"id", "type", "at", "data"}
    assert event["data"]["ref"] == ref
    assert event["data"]["from"] == KEEPER
    assert event["data"]["registrations"] == ["KX19 ABC"]
    with engine.connect() as conn:
        row = conn.execute(select(WebhookEvent)).one()
    assert row.attempts == 3 and row.delivered_at is not None and row.last_error is None


def test_a_hanging_receiver_never_delays_a_forward(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    release = threading.Event()
    receiver = Receiver([204], hold=release)
    hook = {"url": receiver.url, "timeout": 9}
    with receiver, running(tmp_path, db_url, engine, hook) as (_daemon, emulator):
        emulator.inject(KEEPER, "white transit at Bircham")
        assert receiver.arrived.wait(10), "the first event's POST"
        # The delivery thread is stuck in that POST now; the next report must not wait.
        started = time.monotonic()
        emulator.inject(STRANGER, "two lurchers at Fring crossroads")
        wait_for(lambda: len(texts_to(tmp_path, DESK)) == 2, 10, "the second forward")
        took = time.monotonic() - started
        assert not release.is_set() and len(receiver.got) == 1  # still held
        release.set()
        wait_for(lambda: len(receiver.got) == 2, 10, "the second event, after")
    assert took < 3.0
