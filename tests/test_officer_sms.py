"""Officers' commands by SMS on the real daemon and emulator, as a spoofer or a guesser
meets them: PINs locked after three wrong ones, never stored, CLOSE behind the PIN, a bare
ACK that takes the officer's own report, and a relay that takes the report.

A network stamps texts to the second, and the inbox counts two texts from one number in
one second with the same stored text as one SMS read twice; a stored PIN command is
redacted, so the tests vary the spelling of the words around each PIN (officers do too).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from procs import wait_for
from sighting_daemon import (
    ADMIN,
    BACKUP,
    DESK,
    KEEPER,
    OFFICER,
    PIN,
    STRANGER,
    on_shift,
    running,
    texts_to,
)
from sqlalchemy import Engine, String, func, select

from gateway.app.daemon import Daemon
from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.models import Alert, Base, InboundMessage, InboundPart, Operator
from gateway.routing import pin_lock
from hardware.emulator import Emulator

SPELLINGS = (
    "RELAY {ref} DOCKING",
    "relay {ref} docking",
    "Relay {ref} Docking",
    "RELAY {ref} docking",
)


@pytest.fixture
def gateway(
    tmp_path: Path, db_url: str, engine: Engine, request: pytest.FixtureRequest
) -> Iterator[tuple[Daemon, Emulator]]:
    with running(tmp_path, db_url, engine, **getattr(request, "param", {})) as started:
        yield started


def reported(daemon: Daemon, emulator: Emulator, tmp_path: Path, text: str, to: str) -> str:
    """File a keeper's report and wait for its forward to `to`; returns its reference."""
    before = len(texts_to(tmp_path, to))
    emulator.inject(KEEPER, text)
    wait_for(lambda: len(texts_to(tmp_path, to)) > before, 10, "the forward")
    return daemon.sightings.recent()[0].ref


def answer(emulator: Emulator, tmp_path: Path, body: str, want: int) -> str:
    """The officer's `want`-th text (their forward counts) after sending `body`."""
    emulator.inject(OFFICER, body)
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) >= want, 10, f"the answer to {body!r}")
    return texts_to(tmp_path, OFFICER)[want - 1]


def outbox_idle(daemon: Daemon) -> bool:
    counts = daemon.outbox.counts()
    return counts["queued"] == 0 and counts["sending"] == 0


@pytest.mark.parametrize("gateway", [{"rota": {"admin_number": ADMIN}}], indirect=True)
def test_three_wrong_pins_lock_relay_for_an_hour_even_for_the_right_pin(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    officer = daemon.rota.operator(on_shift(daemon, OFFICER))
    assert officer is not None
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    guesses = [SPELLINGS[n].format(ref=ref) + f" {pin}" for n, pin in enumerate(["1111", "2222"])]
    assert [answer(emulator, tmp_path, g, n + 2) for n, g in enumerate(guesses)] == [
        "PIN refused.",
        "PIN refused.",
    ]
    locked = answer(emulator, tmp_path, SPELLINGS[2].format(ref=ref) + " 3333", 4)
    assert locked.startswith("PIN refused. 3 wrong PINs") and "locked until" in locked
    wait_for(lambda: texts_to(tmp_path, ADMIN) != [], 10, "the rota admin told")
    [notice] = texts_to(tmp_path, ADMIN)
    assert "PIN lock" in notice and "PC 601" in notice and OFFICER not in notice

    refused = answer(emulator, tmp_path, SPELLINGS[3].format(ref=ref) + f" {PIN}", 5)
    assert refused.startswith("RELAY refused: after 3 wrong PINs") and "locked until" in refused
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert)) == 0  # nothing broadcast
    actions = [
        e.action
        for e in reversed(audit.entries(engine))
        if "pin" in e.action or "refused" in e.action
    ]
    assert actions == ["relay-refused"] * 3 + ["pin-locked", "pin-lock-refused"]
    assert texts_to(tmp_path, ADMIN) == [notice]  # told once
    assert pin_lock.locked_until(engine, officer) is not None
    assert pin_lock.locked_until(engine, officer, utcnow() + timedelta(minutes=61)) is None


@pytest.mark.parametrize("gateway", [{"inbound": {"flood_limit": 2}}], indirect=True)
def test_wrong_pin_replies_obey_the_flood_limit(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    for n, pin in enumerate(["1111", "2222", "3333"]):
        emulator.inject(OFFICER, SPELLINGS[n].format(ref=ref) + f" {pin}")
        wait_for(lambda n=n: len(audit.entries(engine, action="relay-refused")) == n + 1, 10, "it")
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    assert texts_to(tmp_path, OFFICER)[1:] == ["PIN refused.", "PIN refused."]  # 2 = the limit


def every_stored_string(engine: Engine) -> list[str]:
    """Every text and string value in every table, but the PIN's own hash."""
    found: list[str] = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, String) and c is not Operator.__table__.c.pin_hash
            ]
            if columns:
                found += [str(v) for row in conn.execute(select(*columns)) for v in row if v]
    return found


def test_a_pin_is_never_stored_and_the_relay_still_works(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    pin = "73915864"  # 8 digits: no other stored value holds them by chance
    daemon.rota.add_operator("PC Smith", OFFICER, pin=pin)
    now = utcnow()
    officer = daemon.rota.operator_by_phone(OFFICER)
    assert officer is not None
    daemon.rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=1))
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    done = answer(emulator, tmp_path, f"RELAY {ref} DOCKING {pin}", 2)
    assert done.startswith(f"{ref} relayed as A")
    with engine.connect() as conn:
        texts = conn.scalars(select(InboundMessage.text).where(InboundMessage.sender == OFFICER))
        parts = conn.scalars(select(InboundPart.text).where(InboundPart.sender == OFFICER))
        assert list(texts) == list(parts) == [f"RELAY {ref} DOCKING ****"]
    assert not [v for v in every_stored_string(engine) if pin in v]


def test_close_needs_the_pin_and_a_bare_close_changes_nothing(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "Grey L200 at Stanhoe", OFFICER)
    assert answer(emulator, tmp_path, f"CLOSE {ref}", 2) == "To close: CLOSE <ref> <your PIN>."
    assert daemon.sightings.get(ref).status == "open"  # type: ignore[union-attr]
    assert answer(emulator, tmp_path, f"close {ref} {PIN}", 3) == f"{ref} closed."
    assert daemon.sightings.get(ref).status == "closed"  # type: ignore[union-attr]


def test_a_bare_ack_takes_the_latest_report_forwarded_to_that_officer_and_names_it(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    on_shift(daemon, BACKUP, role="backup")
    theirs = reported(daemon, emulator, tmp_path, "Grey L200 at Stanhoe, 2 men", OFFICER)
    assert daemon.sightings.escalate_due(utcnow() + timedelta(minutes=2)) == [f"{theirs}:backup"]
    wait_for(lambda: texts_to(tmp_path, BACKUP) != [], 10, "the backup's forward")
    newer = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Docking", OFFICER)
    emulator.inject(BACKUP, "ack")
    wait_for(lambda: len(texts_to(tmp_path, BACKUP)) == 2, 10, "the answer")
    assert texts_to(tmp_path, BACKUP)[1] == f"ACK: {theirs}, grey Mitsubishi at Stanhoe, is yours."
    assert daemon.sightings.get(newer).status == "open"  # type: ignore[union-attr]


def test_relaying_takes_the_report_so_it_climbs_no_further(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    on_shift(daemon, BACKUP, role="backup")
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    assert answer(emulator, tmp_path, f"RELAY {ref} DOCKING {PIN}", 2).startswith(f"{ref} relayed")
    info = daemon.sightings.get(ref)
    assert info is not None and info.status == "acknowledged"
    assert daemon.sightings.escalate_due(utcnow() + timedelta(hours=1)) == []
    assert [e.detail for e in audit.entries(engine, action="sighting-relayed")] == [
        f"{ref} as A1001 to DOCKING"
    ]
    assert texts_to(tmp_path, BACKUP) == [] and texts_to(tmp_path, DESK) == []


def test_a_spoofed_command_from_a_number_not_on_the_rota_is_a_report(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "quad bikes on the estate", OFFICER)
    emulator.inject(STRANGER, f"CLOSE {ref} {PIN}")
    wait_for(lambda: len(daemon.sightings.recent()) == 2, 10, "the text filed as a report")
    latest, first = daemon.sightings.recent()
    assert first.status == "open" and latest.text == f"CLOSE {ref} ****"
