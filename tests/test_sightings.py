"""Sightings through the real daemon: filed, answered, forwarded, acknowledged, escalated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from procs import wait_for
from sighting_daemon import BACKUP, DESK, KEEPER, OFFICER, STRANGER, on_shift, running, texts_to
from sqlalchemy import Engine

from gateway.app.daemon import Daemon
from gateway.core import audit
from gateway.core.db import utcnow
from hardware.emulator import Emulator


@pytest.fixture
def gateway(
    tmp_path: Path, db_url: str, engine: Engine, request: pytest.FixtureRequest
) -> Iterator[tuple[Daemon, Emulator]]:
    with running(tmp_path, db_url, engine, **getattr(request, "param", {})) as started:
        yield started


def test_a_sighting_is_filed_answered_and_forwarded_to_the_officer_on_duty(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    emulator.inject(KEEPER, "Silver Subaru kx19abc 3 men with lurchers heading to Docking")
    wait_for(lambda: texts_to(tmp_path, OFFICER) != [], 10, "the forward")
    [info] = daemon.sightings.recent()
    assert info.registrations == ("KX19 ABC",) and info.known_sender
    assert info.text == "Silver Subaru kx19abc 3 men with lurchers heading to Docking"
    wait_for(lambda: texts_to(tmp_path, KEEPER) != [], 10, "the thanks")
    assert texts_to(tmp_path, KEEPER) == [
        f"Thanks, logged as {info.ref}. In an emergency call 999."
    ]
    [forward] = texts_to(tmp_path, OFFICER)
    assert forward.startswith(f"{info.ref} KX19 ABC") and "Tom Wright" in forward
    assert len(forward) <= 160


def test_an_unknown_sender_is_still_filed_and_marked(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    emulator.inject(STRANGER, "white transit no lights at Bircham")
    wait_for(lambda: daemon.sightings.recent() != [], 10, "the sighting")
    [info] = daemon.sightings.recent()
    assert not info.known_sender
    wait_for(lambda: texts_to(tmp_path, DESK) != [], 10, "the desk, as nobody is on duty")


def test_ack_takes_a_sighting_and_stops_its_escalation(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    emulator.inject(KEEPER, "2 dogs running hares behind Church Farm")
    wait_for(lambda: texts_to(tmp_path, OFFICER) != [], 10, "the forward")
    ref = daemon.sightings.recent()[0].ref
    emulator.inject(OFFICER, "ack")
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) == 2, 10, "the ACK answer")
    assert texts_to(tmp_path, OFFICER)[1] == f"ACK: {ref}, 2 dogs running hares behind, is yours."
    assert daemon.sightings.get(ref).status == "acknowledged"  # type: ignore[union-attr]
    assert daemon.sightings.escalate_due(utcnow() + timedelta(hours=1)) == []


def test_an_unacknowledged_sighting_climbs_to_the_backup_then_the_desk(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    on_shift(daemon, BACKUP, role="backup")
    emulator.inject(KEEPER, "lamping near Fring crossroads")
    wait_for(lambda: texts_to(tmp_path, OFFICER) != [], 10, "the forward")
    ref = daemon.sightings.recent()[0].ref
    later = utcnow() + timedelta(minutes=2)
    assert daemon.sightings.escalate_due(later) == [f"{ref}:backup"]
    assert daemon.sightings.escalate_due(later) == []  # each step once
    assert daemon.sightings.escalate_due(later + timedelta(minutes=2)) == [f"{ref}:fallback"]
    wait_for(lambda: texts_to(tmp_path, DESK) != [], 10, "the desk")
    assert texts_to(tmp_path, BACKUP)[0].startswith(ref)


def test_two_people_reporting_one_vehicle_make_it_hot(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    emulator.inject(KEEPER, "KX19 ABC parked by the gate at Bircham")
    wait_for(lambda: len(daemon.sightings.recent()) == 1, 10, "the first")
    emulator.inject(STRANGER, "kx19abc going fast towards Docking")
    wait_for(lambda: len(daemon.sightings.recent()) == 2, 10, "the second")
    second, first = daemon.sightings.recent()
    assert second.hot and daemon.sightings.get(first.ref).hot  # type: ignore[union-attr]
    assert [s.ref for s in daemon.sightings.linked(second.ref)] == [first.ref]


def test_relay_needs_the_pin_and_never_names_the_reporter(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    emulator.inject(KEEPER, "Silver Subaru KX19 ABC at Stanhoe pond")
    wait_for(lambda: texts_to(tmp_path, OFFICER) != [], 10, "the forward")
    ref = daemon.sightings.recent()[0].ref
    emulator.inject(OFFICER, f"RELAY {ref} DOCKING 1111")
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) == 2, 10, "the refusal")
    assert texts_to(tmp_path, OFFICER)[1] == "PIN refused."
    assert [e.action for e in audit.entries(engine, action="relay-refused")] == ["relay-refused"]
    emulator.inject(OFFICER, f"relay {ref} docking 4821")  # stored redacted: not the same text
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) == 3, 10, "the relay")
    assert "relayed as A" in texts_to(tmp_path, OFFICER)[2]
    wait_for(lambda: len(texts_to(tmp_path, KEEPER)) == 2, 10, "the alert to the farm")
    alert = texts_to(tmp_path, KEEPER)[1]
    assert "KX19 ABC" in alert and "Tom" not in alert and KEEPER not in alert


def test_a_text_from_someone_not_an_operator_cannot_ack(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    emulator.inject(KEEPER, "quad bikes on the estate")
    wait_for(lambda: texts_to(tmp_path, OFFICER) != [], 10, "the forward")
    emulator.inject(STRANGER, "ACK")
    wait_for(lambda: len(daemon.sightings.recent()) == 2, 10, "ACK filed as a report")
    assert daemon.sightings.recent()[1].status == "open"


def test_the_forward_goes_out_before_the_thanks(gateway: tuple[Daemon, Emulator]) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    emulator.faults.update(send_latency=0.3)  # a queue forms behind the first send
    emulator.inject(KEEPER, "Blue Hilux YR68 XYZ at Sedgeford")
    wait_for(lambda: {p.to for p in emulator.sent} >= {OFFICER, KEEPER}, 10, "both texts")
    assert [p.to for p in emulator.sent][:2] == [OFFICER, KEEPER]


@pytest.mark.parametrize("gateway", [{"inbound": {"flood_limit": 3}}], indirect=True)
def test_a_flooding_sender_is_filed_but_not_thanked_forwarded_or_escalated(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    for n in range(5):
        emulator.inject(STRANGER, f"Out of office: I will reply on Monday ({n})")
        wait_for(lambda n=n: len(daemon.sightings.recent()) == n + 1, 10, "the text filed")
    wait_for(lambda: daemon.outbox.counts()["queued"] == 0, 10, "the outbox empty")
    wait_for(lambda: daemon.outbox.counts()["sending"] == 0, 10, "the last send done")
    assert len(texts_to(tmp_path, STRANGER)) == 3  # flood_limit: the 4th and 5th get no thanks
    *forwards, notice = texts_to(tmp_path, OFFICER)
    refs = [s.ref for s in reversed(daemon.sightings.recent())]
    assert [f.split()[0] for f in forwards] == refs[:3]
    assert notice.startswith(f"{refs[3]}: {STRANGER} sent 4 texts") and "not forwarded" in notice
    assert {s.status for s in daemon.sightings.recent()} == {"open"}  # all on the console
    later = utcnow() + timedelta(hours=1)
    assert sorted(daemon.sightings.escalate_due(later)) == [f"{r}:fallback" for r in refs[:3]]


def test_a_forward_cut_to_one_part_keeps_the_location_and_the_number_to_call(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    text = (
        "Two men with lurchers walking the field edge behind the old barn, one in a green "
        "jacket, the other with a lamp, been there twenty minutes at least, they came in a "
        "grey pickup parked by the gate. TF 7831 3851 PE31 6RJ ///filled.count.soap Stanhoe"
    )
    emulator.inject(KEEPER, text)
    wait_for(lambda: texts_to(tmp_path, OFFICER) != [], 10, "the forward")
    [forward] = texts_to(tmp_path, OFFICER)
    head = forward.split(": ", 1)[0]
    for kept in ("TF 7831 3851", "PE31 6RJ", "///filled.count.soap", "Stanhoe", KEEPER):
        assert kept in head
    assert "Tom Wright" in head and len(forward) <= 160 and forward.endswith("...")
