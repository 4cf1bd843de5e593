"""Nothing a farmer texts is lost, and no message stops a modem: hostile characters,
a part the database refuses, a handler that raises, a crash between storing a text and
filing it, the same text read twice, an outbound message that makes the driver raise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from procs import texts_to, wait_for
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage, InboundPart, Message, Sighting, UndecodablePdu
from gateway.inbox import troubles
from gateway.inbox.store import ROUTE_ATTEMPTS, Inbox, IncomingPart, Received
from hardware.emulator import Emulator
from hardware.pdu import decode_incoming, encode_deliver

KEEPER = "+447700900501"
OFFICER = "+447700900601"
DESK = "+447700900699"


def make_daemon(
    tmp_path: Path, db_url: str, engine: Engine, handlers: list[Callable[[Received], None]]
) -> Daemon:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "e1", "driver": "emulator", "log": str(tmp_path / "e.log")}],
            "outbox": {"poll_interval": 0.05, "status_reports": False},
            "inbound": {"sweep_interval": 0.3},
            "rota": {"fallback_number": DESK},
        }
    )
    daemon = Daemon(cfg, engine=engine, handlers=handlers)
    officer = daemon.rota.add_operator("PC Duty", OFFICER, pin="4821")
    now = utcnow()
    daemon.rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=8))
    return daemon


@pytest.fixture
def gateway(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[tuple[Daemon, Emulator]]:
    daemon = make_daemon(tmp_path, db_url, engine, [])
    daemon.start()
    emulator = daemon.built[0].emulator
    assert emulator is not None
    yield daemon, emulator
    daemon.stop()


def sent_to(tmp_path: Path, number: str) -> list[str]:
    return texts_to(tmp_path / "e.log", number)


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_a_text_with_a_nul_is_stored_marked_and_filed_and_the_modem_goes_on(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    """On PostgreSQL a NUL in text used to raise in the inbox and kill the worker."""
    _, emulator = gateway
    emulator.inject(KEEPER, "Blue van\x00 KX19ABC at Docking")
    wait_for(lambda: sent_to(tmp_path, OFFICER) != [], 10, "the forward")
    emulator.inject(KEEPER, "Grey L200 YR68 XYZ at Stanhoe")
    wait_for(
        lambda: any("YR68" in t for t in sent_to(tmp_path, OFFICER)),
        10,
        "the second forward",
    )
    assert "\u2400" in sent_to(tmp_path, OFFICER)[0]  # the officer sees where the NUL was
    with engine.connect() as conn:
        first = conn.execute(select(InboundMessage).order_by(InboundMessage.id)).first()
        pdu = conn.scalar(select(InboundPart.pdu).where(InboundPart.message_id == first.id))
    assert first is not None and first.text == "Blue van\u2400 KX19ABC at Docking"
    assert first.note == "1 character(s) the database cannot hold replaced"
    assert pdu is not None and "0000" in pdu  # the raw PDU, NUL and all
    assert count(engine, Sighting) == 2
    assert emulator.store.indices() == []
    assert troubles.count(engine).altered == 1


def test_a_part_the_database_refuses_is_kept_raw_and_the_modem_goes_on(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine, monkeypatch: Any
) -> None:
    daemon, emulator = gateway
    store = daemon.inbox.store

    def refusing(modem: str, part: IncomingPart, pdu: str | None = None) -> list[Received]:
        if "poison" in part.text:
            raise OperationalError("INSERT", {}, Exception("the database refused it"))
        return store(modem, part, pdu)

    monkeypatch.setattr(daemon.inbox, "store", refusing)
    emulator.inject(KEEPER, "poison text at Docking")
    wait_for(lambda: count(engine, UndecodablePdu) == 1, 10, "the PDU kept")
    emulator.inject(KEEPER, "Silver Subaru KX19 ABC at Docking")
    wait_for(lambda: len(sent_to(tmp_path, OFFICER)) == 1, 10, "the next text's forward")
    [kept] = troubles.kept_pdus(engine)
    assert kept.error.startswith("not stored: OperationalError")
    assert decode_incoming(kept.pdu).text == "poison text at Docking"  # the whole PDU
    assert emulator.store.indices() == []  # kept, so off the SIM: it cannot poison again
    assert daemon.workers[0].state == "ready"


def test_a_handler_that_raises_leaves_the_text_unrouted_until_routing_works(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    """The router files the sighting, then a later handler raises: the text is routed
    again, and routing again files nothing twice."""
    calls: list[int] = []

    def flaky(msg: Received) -> None:
        calls.append(msg.id)
        if len(calls) == 1:
            raise RuntimeError("the incident system is down")

    daemon = make_daemon(tmp_path, db_url, engine, [flaky])
    daemon.start()
    try:
        emulator = daemon.built[0].emulator
        assert emulator is not None
        emulator.inject(KEEPER, "Silver Subaru KX19 ABC at Docking")
        wait_for(lambda: len(calls) >= 2, 10, "routing to be tried again")
        wait_for(
            lambda: count(engine, InboundMessage, InboundMessage.routed_at.is_not(None)) == 1,
            5,
            "the text routed",
        )
        wait_for(lambda: len(sent_to(tmp_path, KEEPER)) == 1, 10, "the thanks")
    finally:
        daemon.stop()
    assert len(calls) == 2 and calls[0] == calls[1]
    assert count(engine, Sighting) == 1
    assert len(sent_to(tmp_path, OFFICER)) == 1 and len(sent_to(tmp_path, KEEPER)) == 1
    with engine.connect() as conn:
        msg = conn.execute(select(InboundMessage)).one()
    assert msg.route_attempts == 1 and msg.route_error == ""


def test_a_text_that_always_fails_to_route_waits_for_a_person(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    def broken(msg: Received) -> None:
        raise ValueError(f"cannot handle {msg.id}")

    daemon = make_daemon(tmp_path, db_url, engine, [broken])
    daemon.start()
    try:
        emulator = daemon.built[0].emulator
        assert emulator is not None
        emulator.inject(KEEPER, "Silver Subaru KX19 ABC at Docking")
        wait_for(lambda: troubles.count(engine).unrouted == 1, 10, "routing to give up")
        daemon.outbox.enqueue(KEEPER, "the modem still sends")
        wait_for(lambda: "the modem still sends" in sent_to(tmp_path, KEEPER), 10, "a send")
    finally:
        daemon.stop()
    [shown] = troubles.texts(engine)
    assert not shown.routed and shown.route_error.startswith("ValueError: cannot handle")
    with engine.connect() as conn:
        assert conn.scalar(select(InboundMessage.route_attempts)) == ROUTE_ATTEMPTS
    assert count(engine, Sighting) == 1  # the sighting desk ran before the broken handler


def test_a_text_stored_but_not_filed_when_the_gateway_died_is_filed_at_start(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    """What a kill between store and file leaves: a stored, unrouted text (and the text
    still on the SIM, since the delete comes after routing)."""
    daemon = make_daemon(tmp_path, db_url, engine, [])
    sent_at = utcnow().replace(microsecond=0)
    text = "Silver Subaru KX19 ABC at Docking"
    [stored] = Inbox(engine, daemon.config.inbound).store("e1", IncomingPart(KEEPER, sent_at, text))
    assert not stored.routed
    daemon.start()
    try:
        emulator = daemon.built[0].emulator
        assert emulator is not None
        pdus = encode_deliver(KEEPER, text, sent_at.replace(tzinfo=None).astimezone())
        emulator.store.add_all(pdus)  # the same SMS, never deleted from the SIM
        daemon.workers[0].receiver.next_sweep = 0.0
        daemon.workers[0].wake.set()
        wait_for(lambda: len(sent_to(tmp_path, OFFICER)) == 1, 10, "the forward")
        wait_for(lambda: emulator.store.indices() == [], 10, "the SIM read and emptied")
        wait_for(lambda: len(sent_to(tmp_path, KEEPER)) == 1, 10, "the thanks")
    finally:
        daemon.stop()
    assert count(engine, InboundMessage) == 1 and count(engine, Sighting) == 1
    assert count(engine, InboundMessage, InboundMessage.routed_at.is_not(None)) == 1


def test_the_same_text_read_twice_is_one_message_and_one_sighting(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    pdus = encode_deliver(KEEPER, "Silver Subaru KX19 ABC at Docking", utcnow().astimezone())
    emulator.store.add_all(pdus)
    emulator.store.add_all(pdus)  # a failed delete, or the network delivering it again
    daemon.workers[0].receiver.next_sweep = 0.0
    daemon.workers[0].wake.set()
    wait_for(lambda: emulator.store.indices() == [], 10, "both read")
    wait_for(lambda: len(sent_to(tmp_path, KEEPER)) == 1, 10, "the thanks")
    assert count(engine, InboundMessage) == 1 and count(engine, Sighting) == 1
    assert len(sent_to(tmp_path, OFFICER)) == 1


def test_an_outbound_message_that_makes_the_driver_raise_is_parked(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine, monkeypatch: Any
) -> None:
    daemon, _ = gateway
    worker = daemon.workers[0]
    send = worker.modem.send

    def crashing(to: str, text: str, **kw: Any) -> Any:
        if text == "crash me":
            raise KeyError("a bug in the driver")
        return send(to, text, **kw)

    monkeypatch.setattr(worker.modem, "send", crashing)
    bad = daemon.outbox.enqueue(KEEPER, "crash me", "urgent")
    daemon.outbox.enqueue(KEEPER, "after the crash", "bulk")
    wait_for(lambda: "after the crash" in sent_to(tmp_path, KEEPER), 10, "the next message")
    with engine.connect() as conn:
        status, error = conn.execute(
            select(Message.status, Message.last_error).where(Message.id == bad)
        ).one()
    assert status == "failed" and error.startswith("parked: KeyError")
    assert troubles.count(engine).parked == 1
    assert [p.id for p in troubles.parked_messages(engine)] == [bad]


def test_a_step_that_raises_does_not_stop_the_worker(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, monkeypatch: Any
) -> None:
    daemon, _ = gateway
    worker = daemon.workers[0]
    real = worker.apply_reports
    raised: list[bool] = []

    def once(idle: bool = False) -> bool:
        if not raised:
            raised.append(True)
            raise RuntimeError("the database went away for a moment")
        return real(idle)

    monkeypatch.setattr(worker, "apply_reports", once)
    worker.wake.set()
    wait_for(lambda: worker.faults == 1, 10, "the fault to be survived")
    daemon.outbox.enqueue(KEEPER, "still here")
    wait_for(lambda: "still here" in sent_to(tmp_path, KEEPER), 10, "a send after the fault")
    assert not worker.stalled(60)
