"""Check-ins by SMS (issue 19) on the real daemon and emulator: an officer's PATROL text
is a visit with its confirmation and its plates linked to farmers' sightings; a stranger's
and an unknown code's are answered and are neither visits nor sightings; a text routed
twice is one visit; `smsgw patrols visits --json` lists them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from procs import wait_for
from sighting_daemon import KEEPER, OFFICER, STRANGER, on_shift, running, texts_to
from sqlalchemy import Engine, func, select

from gateway import cli
from gateway.app.daemon import Daemon
from gateway.core import clock
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from gateway.core.models import PatrolVisit, Sighting
from gateway.inbox.officer_words import PatrolCheckIn, parse_patrol
from gateway.inbox.store import IncomingPart
from gateway.rota.patrols import Patrols
from hardware.emulator import Emulator


@pytest.fixture
def gateway(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[tuple[Daemon, Emulator]]:
    with running(tmp_path, db_url, engine) as started:
        Patrols(engine, started[0].config).add("GATE7", "Field gate, Bircham Road")
        yield started


def count(engine: Engine, table: type[PatrolVisit] | type[Sighting]) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def reply_to(emulator: Emulator, tmp_path: Path, sender: str, body: str) -> str:
    before = len(texts_to(tmp_path, sender))
    emulator.inject(sender, body)
    wait_for(lambda: len(texts_to(tmp_path, sender)) > before, 10, f"the reply to {body!r}")
    return texts_to(tmp_path, sender)[before]


def test_the_words_of_a_check_in() -> None:
    assert parse_patrol("PATROL GATE7 2 men") == PatrolCheckIn("GATE7", "2 men")
    assert parse_patrol("Patrol: gate7, quiet") == PatrolCheckIn("GATE7", "quiet")
    assert parse_patrol("PATROL GATE7 ") == PatrolCheckIn("GATE7", "")
    assert parse_patrol("patrol") == PatrolCheckIn("")
    assert parse_patrol("Patrolling car seen at Docking") is None


def test_an_officers_text_is_a_visit_confirmed_and_linked_to_the_sighting(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    emulator.inject(KEEPER, "Silver Subaru KX19 ABC at Stanhoe, 3 men with dogs")
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) == 1, 10, "the forward")
    ref = daemon.sightings.recent()[0].ref

    answer = reply_to(emulator, tmp_path, OFFICER, "PATROL GATE7 kx19abc parked by the gate")

    [visit] = Patrols(engine, daemon.config).visits()
    when = clock.to_local(visit.at, ZoneInfo(daemon.config.gateway.timezone))
    assert answer == f"Patrol GATE7 logged {when:%H:%M}. 1 plate: KX19 ABC (seen in {ref})."
    assert (visit.code, visit.officer, visit.phone) == ("GATE7", "PC 601", OFFICER)
    assert visit.notes == "kx19abc parked by the gate"
    assert visit.registrations == ("KX19 ABC",) and visit.sightings == (ref,)
    assert abs((utcnow() - visit.at).total_seconds()) < 30
    assert count(engine, Sighting) == 1  # the check-in is not a sighting


def test_strangers_and_unknown_codes_are_answered_and_make_nothing(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    told = reply_to(emulator, tmp_path, STRANGER, "PATROL GATE7 all quiet")
    assert told == "Patrol check-ins are for officers."
    unknown = reply_to(emulator, tmp_path, OFFICER, "PATROL GATE9 all quiet")
    assert unknown == "No patrol point GATE9. Text PATROL and a point's code."
    assert "GATE7" not in unknown  # the points are not listed to whoever asks
    assert count(engine, PatrolVisit) == 0
    assert count(engine, Sighting) == 0


def test_a_check_in_routed_twice_is_one_visit_and_one_reply(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, _ = gateway
    on_shift(daemon, OFFICER)
    [stored] = daemon.inbox.store("e1", IncomingPart(OFFICER, utcnow(), "PATROL GATE7 quiet"))
    daemon.router(stored)
    daemon.router(stored)  # routing is at least once: a second time makes nothing new
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) >= 1, 10, "the confirmation")
    wait_for(lambda: daemon.outbox.counts()["queued"] == 0, 10, "the outbox idle")
    assert count(engine, PatrolVisit) == 1
    assert len(texts_to(tmp_path, OFFICER)) == 1
    assert texts_to(tmp_path, OFFICER)[0].startswith("Patrol GATE7 logged ")


def test_visits_json_lists_each_visit_with_its_plates(
    tmp_path: Path, db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    assert cli.main(["patrols", "add", "GATE7", "--name", "Gate", "--config", str(config)]) == 0
    patrols = Patrols(engine, config_mod.load(str(config)))
    patrols.record_visit(
        "gate7",
        officer="PC 601",
        phone=OFFICER,
        notes="YR68 XYZ 3 men 2 dogs at Docking",
        registrations=["YR68 XYZ"],
        inbound_id=7,
    )
    capsys.readouterr()
    assert cli.main(["patrols", "visits", "--json", "--config", str(config)]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert {k: row[k] for k in ("code", "officer", "notes", "registrations")} == {
        "code": "GATE7",
        "officer": "PC 601",
        "notes": "YR68 XYZ 3 men 2 dogs at Docking",
        "registrations": ["YR68 XYZ"],
    }
    assert row["at"].endswith("Z") and row["sightings"] == []
    assert row["places"] == ["Docking"] and row["counts"] == {"people": 3, "dogs": 2}
