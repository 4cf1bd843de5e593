"""Officers' commands by SMS on the real daemon and emulator, as a spoofer or a guesser
meets them: PINs locked after three wrong ones, never stored, CLOSE behind the PIN, a bare
ACK that takes the officer's own report, and a relay that takes the report.

A network stamps texts to the second, and the inbox counts two texts from one number in
one second with the same stored text as one SMS read twice; a stored PIN command is
redacted, so the tests vary the spelling of the words around each PIN (officers do too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from db_faults import audit_refused
from pin_search import pins_behind_digests, stored_strings
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
from sqlalchemy import Engine, func, select

from gateway.app.daemon import Daemon
from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.models import Alert, InboundMessage, InboundPart
from gateway.inbox.store import IncomingPart
from gateway.routing import pin_lock
from gateway.routing.officers import relay_text
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


def routed(daemon: Daemon, engine: Engine, sender: str, n: int) -> None:
    """Wait until `n` texts from `sender` are stored and routing has finished with all of
    them: a reply is queued after the audit entry of its text, so only now is it known
    whether it was sent."""

    def done() -> bool:
        with engine.connect() as conn:
            stored = conn.scalar(
                select(func.count())
                .select_from(InboundMessage)
                .where(InboundMessage.sender == sender)
            )
        return stored == n and daemon.inbox.unrouted("e1") == []

    wait_for(done, 10, f"{n} texts from {sender} routed")


def route_attempts(engine: Engine, sender: str) -> int:
    with engine.connect() as conn:
        tries = conn.scalar(
            select(func.max(InboundMessage.route_attempts)).where(InboundMessage.sender == sender)
        )
    return int(tries or 0)


def sent_texts(tmp_path: Path) -> list[str]:
    """Every text the emulator was given to send, to anyone."""
    path = tmp_path / "e.log"
    return [json.loads(x)["text"] for x in path.read_text().splitlines()] if path.exists() else []


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
        routed(daemon, engine, OFFICER, n + 1)  # its reply, if any, is queued by now
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    assert texts_to(tmp_path, OFFICER)[1:] == ["PIN refused.", "PIN refused."]  # 2 = the limit
    assert len(audit.entries(engine, action="relay-refused")) == 3


@pytest.mark.parametrize("gateway", [{"inbound": {"flood_limit": 2}}], indirect=True)
def test_acks_of_a_report_already_taken_obey_the_flood_limit(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    """A spoofer repeating an officer's ACK must not make the gateway text that officer
    without end: the first ACK takes the report and is answered; repeats, whether the
    report is already theirs or someone else's, are answered within the limit only."""
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    on_shift(daemon, BACKUP, role="backup")
    ref = reported(daemon, emulator, tmp_path, "Grey L200 at Stanhoe, 2 men", OFFICER)
    for n, body in enumerate([f"ACK {ref}", f"ack {ref}", f"Ack {ref}", f"ACK {ref.lower()}"]):
        emulator.inject(OFFICER, body)
        routed(daemon, engine, OFFICER, n + 1)
    for n, body in enumerate([f"ACK {ref}", f"ack {ref}", f"Ack {ref}"]):
        emulator.inject(BACKUP, body)
        routed(daemon, engine, BACKUP, n + 1)
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    yours = f"ACK: {ref}, grey Mitsubishi at Stanhoe, is yours."
    assert texts_to(tmp_path, OFFICER)[1:] == [yours, yours]  # 2 = the limit
    taken = f"{ref}, grey Mitsubishi at Stanhoe, was already taken."
    assert texts_to(tmp_path, BACKUP) == [taken, taken]
    assert daemon.sightings.get(ref).status == "acknowledged"  # type: ignore[union-attr]


@pytest.mark.parametrize("gateway", [{"inbound": {"flood_limit": 2}}], indirect=True)
def test_closes_of_a_report_already_closed_obey_the_flood_limit(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "Grey L200 at Stanhoe, 2 men", OFFICER)
    for n, body in enumerate([f"CLOSE {ref} {PIN}", f"close {ref} {PIN}", f"Close {ref} {PIN}"]):
        emulator.inject(OFFICER, body)
        routed(daemon, engine, OFFICER, n + 1)
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    assert texts_to(tmp_path, OFFICER)[1:] == [f"{ref} closed.", f"{ref} closed."]  # the limit
    assert len(audit.entries(engine, action="sighting-closed")) == 1


@pytest.mark.parametrize("gateway", [{"inbound": {"sweep_interval": 0.2}}], indirect=True)
def test_a_relay_cut_short_leaves_nothing_and_its_resend_makes_one_alert(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    """The relay's last write fails (a full disk, a power cut): the alert, the take and
    the audit go together or not at all, so the officer asked to resend makes the only
    alert, and every member gets it once."""
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    with audit_refused(engine, "sighting-relayed"):
        emulator.inject(OFFICER, f"RELAY {ref} DOCKING {PIN}")
        wait_for(lambda: route_attempts(engine, OFFICER) >= 1, 10, "the relay failing")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert)) == 0
    assert daemon.sightings.get(ref).status == "open"  # type: ignore[union-attr]
    # Routed again by the sweep, from the database, which holds no PIN: asked to resend.
    wait_for(lambda: len(texts_to(tmp_path, OFFICER)) == 2, 10, "the request to resend")
    assert texts_to(tmp_path, OFFICER)[1] == "Your PIN is not kept: please send the RELAY again."
    done = answer(emulator, tmp_path, f"relay {ref} docking {PIN}", 3)
    assert done.startswith(f"{ref} relayed as A")
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    with engine.connect() as conn:
        made = conn.scalars(select(Alert.ref)).all()
    assert len(made) == 1 and done.startswith(f"{ref} relayed as {made[0]} ")
    alerted = [t for t in texts_to(tmp_path, KEEPER) if t.startswith("POLICE ALERT")]
    assert len(alerted) == 1 and "KX19 ABC" in alerted[0]
    assert [e.detail for e in audit.entries(engine, action="sighting-relayed")] == [
        f"{ref} as {made[0]} to DOCKING"
    ]


def test_a_relay_routed_again_after_its_alert_was_made_is_finished_not_asked_again(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    """What a power cut left under the old order of writes: the text stored and its alert
    made, the report not taken, nothing audited. Routed again (from the database: no
    PIN), the relay is finished and answered, never asked for again."""
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    info = daemon.sightings.get(ref)
    assert info is not None
    command = IncomingPart(OFFICER, utcnow(), f"RELAY {ref} DOCKING {PIN}")
    [stored] = daemon.inbox.store("e1", command)  # not routed: the worker never saw it
    made = daemon.alerts.create(
        relay_text(info), ["DOCKING"], by="PC 601", source=f"inbound:{stored.id}"
    )
    [again] = daemon.inbox.unrouted("e1")
    assert again.id == stored.id and again.pin == ""
    daemon.router(again)
    daemon.router(again)  # and once more: still one of everything
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    assert texts_to(tmp_path, OFFICER)[1:] == [f"{ref} relayed as {made.ref} to 1 people."]
    assert daemon.sightings.get(ref).status == "acknowledged"  # type: ignore[union-attr]
    assert [e.detail for e in audit.entries(engine, action="sighting-relayed")] == [
        f"{ref} as {made.ref} to DOCKING"
    ]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert)) == 1


def test_a_pin_followed_by_more_words_is_found_nowhere(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    """Commands with words after the PIN are reports: filed, forwarded, shown on the
    console; none of them, nor any digest, nor any text sent, gives the PIN away."""
    daemon, emulator = gateway
    on_shift(daemon, OFFICER)
    ref = reported(daemon, emulator, tmp_path, "Silver Subaru KX19 ABC at Stanhoe", OFFICER)
    bodies = [
        f"CLOSE {ref} {PIN} thanks",
        f"close {ref.lower()} {PIN} done",
        f"CLOSE: {ref} {PIN}",
        f"RELAY {ref} DOCKING {PIN} thx",
        f"Ack, {ref} {PIN}",
    ]
    for n, body in enumerate(bodies):
        emulator.inject(OFFICER, body)
        routed(daemon, engine, OFFICER, n + 1)
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")
    assert len(daemon.sightings.recent()) == 1 + len(bodies)  # each is a report
    assert not [v for v in stored_strings(engine) if PIN in v]
    assert pins_behind_digests(engine) == set()
    assert not [t for t in sent_texts(tmp_path) if PIN in t]


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
    assert not [v for v in stored_strings(engine) if pin in v]


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
