"""Duty traffic (what officers depend on) overtakes broadcasts: a sighting's forward goes
out within one send slot of its text, even in the middle of an alert."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from procs import wait_for
from sqlalchemy import Engine, select

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.outbox.budget import Budget
from gateway.outbox.queue import PRIORITIES, Outbox
from hardware.emulator import Emulator

OFFICER = "+447700900601"
KEEPER = "+447700900501"
FARMS = [f"+447700900{n:03d}" for n in range(100, 140)]


def test_duty_overtakes_an_alert_already_queued(engine: Engine) -> None:
    outbox = Outbox(engine, OutboxConfig(), node="test")
    outbox.enqueue_many([(n, "ALERT silver Subaru", None) for n in FARMS], "urgent")
    forward = outbox.enqueue(OFFICER, "S1001 KX19 ABC from Tom: at Docking", "duty")
    claimed = outbox.claim("m1")
    assert claimed is not None and claimed.id == forward
    assert claimed.priority == PRIORITIES["duty"] < PRIORITIES["urgent"]


def test_a_modem_at_its_distinct_number_limit_still_reaches_a_new_officer(
    engine: Engine,
) -> None:
    """An alert may spend a SIM's distinct numbers for the day; a reserve stays for duty."""
    budget = Budget(0, 40, reserve=10)
    for n in FARMS[:30]:
        budget.record(n)
    allowed, known = budget.allows()
    assert allowed and known == frozenset(FARMS[:30])  # broadcasts: only numbers texted today
    assert budget.allows(duty=True) == (True, None)  # duty: anyone, from the reserve
    outbox = Outbox(engine, OutboxConfig(), node="test")
    outbox.enqueue_many([(n, "ALERT", None) for n in FARMS[30:]], "urgent")
    forward = outbox.enqueue(OFFICER, "S1001 forward", "duty")
    first = outbox.claim("m1", only_to=known, duty_to=None)
    assert first is not None and first.id == forward
    assert outbox.claim("m1", only_to=known, duty_to=None) is None  # new farms wait
    for n in FARMS[30:]:
        budget.record(n)
    assert budget.allows(duty=True) == (True, frozenset(FARMS))  # the reserve is spent too


@pytest.fixture
def gateway(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[tuple[Daemon, Emulator]]:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [
                {
                    "name": "e1",
                    "driver": "emulator",
                    "log": str(tmp_path / "e.log"),
                    "send_latency": 0.2,
                    "max_recipients_per_day": 0,
                }
            ],
            "outbox": {"poll_interval": 0.05, "status_reports": False},
            "rota": {"fallback_number": "+447700900699"},
        }
    )
    daemon = Daemon(cfg, engine=engine)
    daemon.subscribers.add_list("Docking farms", "DOCKING")
    for n in FARMS:
        daemon.subscribers.join(n, "DOCKING", method="officer", by="pc")
    officer = daemon.rota.add_operator("PC Duty", OFFICER, pin="4821")
    now = utcnow()
    daemon.rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=8))
    daemon.start()
    emulator = daemon.built[0].emulator
    assert emulator is not None
    yield daemon, emulator
    daemon.stop()


def sent(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "e.log"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_a_sighting_forward_goes_out_within_one_send_slot_of_a_broadcast(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    daemon.alerts.create("ALERT silver Subaru KX19 ABC, do not approach", ["DOCKING"], by="pc")
    wait_for(lambda: len(sent(tmp_path)) >= 5, 20, "the alert under way")
    before = len(sent(tmp_path))
    emulator.inject(KEEPER, "Grey L200 YR68 XYZ at Stanhoe now")
    wait_for(lambda: any(e["to"] == OFFICER for e in sent(tmp_path)), 20, "the forward")
    after = sent(tmp_path)
    at = next(i for i, e in enumerate(after) if e["to"] == OFFICER)
    # At most the part in flight when the text came, and one claimed at that very moment.
    overtaken = [e for e in after[before:at] if e["to"] in FARMS]
    assert len(overtaken) <= 2, overtaken
    with engine.connect() as conn:
        left = conn.scalar(
            select(Message.id).where(Message.kind == "broadcast", Message.status == "queued")
        )
    assert left is not None  # the alert was still going out when the forward overtook it
