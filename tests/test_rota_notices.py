"""Gap warnings, shift reminders and handover digests: queued once each, restart or not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from procs import wait_for
from sighting_filing import received
from sqlalchemy import Engine, select

from gateway.alerts.service import Alerts
from gateway.core import config as config_mod
from gateway.core.config import Config
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.jobs.scheduler import Scheduler
from gateway.outbox.queue import Outbox
from gateway.rota.notices import RotaNotices
from gateway.rota.service import Rota
from gateway.sightings.desk import Sightings
from gateway.subscribers.service import Subscribers

ADMIN = "+447700900690"
OFFICER = "+447700900601"
NIGHT = "+447700900602"
KEEPER = "+447700900501"
HOUR = timedelta(hours=1)


@pytest.fixture
def cfg(db_url: str) -> Config:
    return config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"timezone": "Europe/London"},
            "rota": {
                "admin_number": ADMIN,
                "fallback_number": "+447700900699",
                "gap_warning": 7200,
                "reminder_before": 3600,
            },
        }
    )


def parts(engine: Engine, cfg: Config) -> tuple[Outbox, Rota, RotaNotices]:
    outbox = Outbox(engine, cfg.outbox, cfg.node)
    rota = Rota(engine)
    return outbox, rota, RotaNotices(engine, cfg, outbox, rota)


def queued(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Message.to, Message.kind, Message.text).order_by(Message.id))
        return [(r.to, r.kind, r.text) for r in rows]


def test_the_rota_admin_is_warned_once_before_a_gap(engine: Engine, cfg: Config) -> None:
    outbox, rota, notices = parts(engine, cfg)
    # 22 Nov 2026 is GMT: local time = UTC.
    now = datetime(2026, 11, 22, 12, 0)
    op = rota.add_operator("PC Day", OFFICER)
    rota.add_shift(op.id, now - HOUR, now + 2 * HOUR)  # then nobody from 14:00 ...
    rota.add_shift(op.id, now + 5 * HOUR, now + 30 * HOUR)  # ... until 17:00

    def gap_keys(at: datetime, notices: RotaNotices = notices) -> list[str]:
        return [k for k in notices.run(at) if k.startswith("gap:")]

    assert gap_keys(now - HOUR) == []  # the 14:00 gap is three hours off: not yet
    assert gap_keys(now) == ["gap:2026-11-22T14:00:00"]
    assert gap_keys(now + timedelta(minutes=30)) == []  # once is enough
    assert gap_keys(now + HOUR, RotaNotices(engine, cfg, outbox, rota)) == []  # restarted
    [(to, kind, text)] = [q for q in queued(engine) if q[1] == "rota-gap"]
    assert (to, kind) == (ADMIN, "rota-gap")
    assert text == (
        "Rota gap: nobody on duty Sun 22 Nov 14:00 to 17:00 (3.0 h). "
        "Sightings then go to the desk. Please arrange cover."
    )


def test_a_gap_already_open_is_not_warned_about(engine: Engine, cfg: Config) -> None:
    _outbox, rota, notices = parts(engine, cfg)
    now = datetime(2026, 11, 22, 12, 0)
    op = rota.add_operator("PC Day", OFFICER)
    rota.add_shift(op.id, now + HOUR, now + 9 * HOUR)
    assert not [k for k in notices.run(now) if k.startswith("gap:")]


def test_an_officer_is_reminded_before_a_shift_in_local_time(engine: Engine, cfg: Config) -> None:
    _outbox, rota, notices = parts(engine, cfg)
    now = datetime(2026, 7, 1, 16, 0)  # BST: 17:00 local
    day = rota.add_operator("PC Day", OFFICER)
    night = rota.add_operator("PC Night", NIGHT)
    rota.add_shift(day.id, now - 8 * HOUR, now + 2 * HOUR)
    shift = rota.add_shift(night.id, now + 2 * HOUR, now + 12 * HOUR)
    assert notices.run(now) == []  # two hours before: not yet
    assert notices.run(now + HOUR) == [f"reminder:{shift}"]
    assert notices.run(now + 90 * timedelta(minutes=1)) == []
    [(to, kind, text)] = queued(engine)
    assert (to, kind) == (NIGHT, "rota-reminder")
    assert text == (
        "Reminder: you are on duty (primary) from Wed 01 Jul 19:00 to Thu 02 Jul 05:00. "
        "Sightings will be texted to this phone."
    )


def test_a_shift_starts_with_a_digest_of_open_sightings(engine: Engine, cfg: Config) -> None:
    outbox, rota, notices = parts(engine, cfg)
    sightings = Sightings(engine, cfg, outbox, rota)
    Subscribers(engine).add_list("Docking farms", "DOCKING")
    filed = [
        sightings.file(received(engine, KEEPER, text))
        for text in (
            "silver subaru KX19ABC heading to Docking",
            "two lurchers and a van on the B1153 near Bircham",
            "Blue L200 YR68 XYZ parked at Sedgeford",
        )
    ]
    sightings.close(filed[1].ref, by="pc")
    start = utcnow() + timedelta(minutes=5)
    night = rota.add_operator("PC Night", NIGHT)
    shift = rota.add_shift(night.id, start, start + 10 * HOUR)
    before = len(queued(engine))
    keys = notices.run(start + timedelta(minutes=1))
    assert f"handover:{shift}" in keys
    assert notices.run(start + timedelta(minutes=2)) == []
    [digest] = [t for to, kind, t in queued(engine)[before:] if kind == "rota-handover"]
    assert digest.startswith("On duty now until ")
    assert f"Open sightings (2): {filed[2].ref} YR68 XYZ" in digest
    assert f"{filed[0].ref} KX19 ABC" in digest and filed[1].ref not in digest
    assert digest.endswith("ACK <ref> to take one.") and len(digest) <= 300


def test_a_handover_missed_by_more_than_half_an_hour_is_dropped(
    engine: Engine, cfg: Config
) -> None:
    _outbox, rota, notices = parts(engine, cfg)
    start = datetime(2026, 11, 22, 18, 0)
    night = rota.add_operator("PC Night", NIGHT)
    rota.add_shift(night.id, start, start + 10 * HOUR)
    assert [k for k in notices.run(start + HOUR) if k.startswith("handover")] == []


def test_the_scheduler_sends_due_notices_as_soon_as_it_starts(engine: Engine, cfg: Config) -> None:
    outbox, rota, notices = parts(engine, cfg)
    op = rota.add_operator("PC Night", NIGHT)
    rota.add_shift(op.id, utcnow() + timedelta(minutes=20), utcnow() + 9 * HOUR)
    alerts = Alerts(engine, outbox, Subscribers(engine))
    scheduler = Scheduler(engine, alerts, notices=notices)
    scheduler.start()
    try:
        wait_for(lambda: [k for _, k, _ in queued(engine)] == ["rota-reminder"], 10, "reminder")
    finally:
        scheduler.stop()
    # A second scheduler, as after a restart, sends nothing new.
    again = Scheduler(engine, alerts, notices=RotaNotices(engine, cfg, outbox, rota))
    again.start()
    again.send_notices()
    again.stop()
    assert [k for _, k, _ in queued(engine)] == ["rota-reminder"]
