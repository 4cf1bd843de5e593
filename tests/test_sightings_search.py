"""Finding sightings for the console, and handling them there: filters, console ACK and
CLOSE (audited, escalation stopped), what the handling view and the hot list say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sighting_filing import received
from sqlalchemy import Engine

from gateway.core import audit
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from gateway.outbox.queue import Outbox
from gateway.rota.service import Rota
from gateway.sightings import queries as sighting_queries
from gateway.sightings.desk import Sightings, plate_pattern

KEEPER = "+447700900501"
STRANGER = "+447700900502"
OFFICER = "+447700900601"


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    cfg = config_mod.from_dict(
        {"database": {"url": db_url}, "rota": {"fallback_number": "+447700900699"}}
    )
    return Sightings(engine, cfg, Outbox(engine, cfg.outbox, cfg.node), Rota(engine))


def file(desk: Sightings, sender: str, text: str) -> str:
    return desk.file(received(desk.engine, sender, text)).ref


def refs(found: list[object]) -> list[str]:
    return [s.ref for s in found]  # type: ignore[attr-defined]


def test_a_plate_is_searched_as_the_parser_writes_it() -> None:
    assert plate_pattern("kx19abc") == "KX19ABC"
    assert plate_pattern(" kx 19-abc ") == "KX19ABC"
    assert plate_pattern("yr6") == "YR6"
    assert plate_pattern("%_") == ""


def test_search_finds_newest_first_by_plate_whole_or_partial(desk: Sightings) -> None:
    first = file(desk, KEEPER, "Silver Subaru KX19 ABC at Docking")
    second = file(desk, STRANGER, "blue pickup yr68xyz and kx19abc heading to Bircham")
    third = file(desk, KEEPER, "lamping near Fring, no plate seen")
    assert refs(desk.search()) == [third, second, first]
    assert refs(desk.search(registration="kx19abc")) == [second, first]
    assert refs(desk.search(registration="KX 19 A")) == [second, first]
    assert refs(desk.search(registration="yr68")) == [second]
    assert refs(desk.search(registration="AB12 CDE")) == []
    assert refs(desk.search(registration="--")) == [third, second, first]  # no plate in it
    assert refs(desk.search(limit=2)) == [third, second]


def test_search_filters_by_status_and_time(desk: Sightings) -> None:
    early = file(desk, KEEPER, "KX19 ABC at Docking")
    between = utcnow()
    late = file(desk, KEEPER, "YR68 XYZ at Bircham")
    desk.close(early, by="pc")
    assert refs(desk.search(status="open")) == [late]
    assert refs(desk.search(status="closed")) == [early]
    assert refs(desk.search(since=between)) == [late]
    assert refs(desk.search(until=between)) == [early]
    assert refs(desk.search(since=between, until=between)) == []
    assert desk.counts() == {"open": 1, "acknowledged": 0, "closed": 1}


def test_a_console_ack_takes_it_stops_the_escalation_and_is_audited(
    desk: Sightings, engine: Engine
) -> None:
    officer = desk.rota.add_operator("PC Lake", OFFICER)
    desk.rota.add_shift(officer.id, utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=8))
    ref = file(desk, KEEPER, "2 dogs running hares behind Church Farm")
    before = sighting_queries.handling(engine, ref)
    assert before is not None and before.escalation == "primary" and before.escalate_at
    assert desk.acknowledge_by_user(ref.lower(), "operator1")
    assert not desk.acknowledge_by_user(ref, "operator2")  # taken once
    assert desk.get(ref).status == "acknowledged"  # type: ignore[union-attr]
    assert desk.escalate_due(utcnow() + timedelta(hours=2)) == []
    after = sighting_queries.handling(engine, ref)
    assert after is not None and after.escalate_at is None and after.acknowledged_at
    entries = audit.entries(engine, action="sighting-acknowledged")
    assert [(e.actor, e.detail) for e in entries] == [("operator1", ref)]


def test_a_console_close_is_audited_and_shows_in_the_history(
    desk: Sightings, engine: Engine
) -> None:
    ref = file(desk, KEEPER, "white transit no lights at Bircham")
    other = file(desk, KEEPER, "another report at Docking")
    desk.acknowledge_by_user(ref, "operator1")
    assert desk.close(ref, by="operator1")
    assert not desk.close(ref, by="operator1")
    desk.close(other, by="admin1")
    [closed] = audit.entries(engine, action="sighting-closed", actor="operator1")
    assert closed.detail == ref
    created = desk.get(ref).created_at  # type: ignore[union-attr]
    history = sighting_queries.history(engine, ref, created)
    assert [(e.actor, e.action) for e in history] == [
        ("operator1", "sighting-acknowledged"),
        ("operator1", "sighting-closed"),
    ]


def test_a_vehicle_two_people_report_is_on_the_hot_list(desk: Sightings, engine: Engine) -> None:
    file(desk, KEEPER, "KX19 ABC parked by the gate at Bircham")
    file(desk, KEEPER, "KX19 ABC still there, and YR68 XYZ")
    assert sighting_queries.hot_vehicles(engine, 3600) == []  # one person, twice
    file(desk, STRANGER, "kx19abc going fast towards Docking")
    [hot] = sighting_queries.hot_vehicles(engine, 3600)
    assert (hot.registration, hot.people, hot.reports) == ("KX19 ABC", 2, 3)
    later = utcnow() + timedelta(hours=2)
    assert sighting_queries.hot_vehicles(engine, 3600, now=later) == []
