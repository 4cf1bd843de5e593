"""The modem worker's steps called one at a time on a FakeModem: no threads, no timing.
What the worker decides between two sends (which message next, what a text does to the
message it already claimed) is checked here exactly; the threaded daemon on the emulator
is tested elsewhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fake_modem import FakeModem
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.modems import status as modem_status
from gateway.modems.pipeline import OutcomeNotWritten
from gateway.modems.worker import LAST_MODEM_REST, ModemWorker
from gateway.subscribers.gate import Verdict
from hardware.errors import ModemError, ModemTimeout
from hardware.modem import Sent

KEEPER = "+447700900501"
OFFICER = "+447700900601"
DESK = "+447700900699"
FARMS = [f"+4477009001{i:02d}" for i in range(5)]


@pytest.fixture
def daemon(db_url: str, engine: Engine) -> Daemon:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "f1", "driver": "at", "port": "/dev/null"}],
            "outbox": {"status_reports": False},
            "rota": {"fallback_number": DESK},
        }
    )
    d = Daemon(cfg, engine=engine)
    d.subscribers.add_list("Docking farms", "DOCKING")
    for phone in FARMS:
        d.subscribers.join(phone, "DOCKING", method="officer", by="test")
    officer = d.rota.add_operator("PC Duty", OFFICER, pin="4821")
    now = utcnow()
    d.rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=8))
    return d


@pytest.fixture
def modem() -> FakeModem:
    return FakeModem("f1")


@pytest.fixture
def worker(daemon: Daemon, modem: FakeModem) -> Iterator[ModemWorker]:
    w = ModemWorker(
        modem,
        daemon.config.modems[0],
        daemon.config,
        daemon.engine,
        daemon.outbox,
        daemon.inbox,
        daemon.handlers,
        gate=daemon.gate,
    )
    assert w.connect()
    yield w
    w.release()
    w.pipeline.close()


def sending(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Message.id).where(Message.status == "sending")))


def test_a_text_that_comes_during_a_send_overtakes_the_message_claimed_ahead(
    daemon: Daemon, modem: FakeModem, worker: ModemWorker, engine: Engine
) -> None:
    """A modem announces a text that came during a send only after that send's answer,
    by which time the worker may have claimed the next broadcast with the outcome."""
    daemon.alerts.create("ALERT silver Subaru KX19 ABC, do not approach", ["DOCKING"], by="pc")
    assert worker.send_one()
    assert modem.sent[-1][0] in FARMS  # and the next farm is claimed ahead, not yet sent
    modem.announce(KEEPER, "Grey L200 YR68 XYZ at Stanhoe now")  # came during that send
    assert worker.step()  # the text: stored, filed, forward queued
    assert worker.step()  # the next send
    assert modem.sent[-1][0] == OFFICER, modem.sent
    assert modem.store == {}  # off the SIM once stored
    worker.settle()  # the forward's outcome, committed by the modem's writer thread
    with engine.connect() as conn:
        sending = conn.scalars(select(Message.to).where(Message.status == "sending")).all()
    assert sending == [] or set(sending) <= set(FARMS)  # claimed ahead again, after the forward


def test_with_nothing_announced_the_next_broadcast_goes_without_a_second_claim(
    daemon: Daemon, modem: FakeModem, worker: ModemWorker
) -> None:
    daemon.alerts.create("ALERT grey L200, do not approach", ["DOCKING"], by="pc")
    while worker.send_one():
        pass
    assert [to for to, _ in modem.sent] == FARMS  # each once, in the list's order


def test_duty_queued_before_the_claim_goes_before_any_broadcast(
    daemon: Daemon, modem: FakeModem, worker: ModemWorker
) -> None:
    daemon.alerts.create("ALERT blue van, do not approach", ["DOCKING"], by="pc")
    daemon.outbox.enqueue(OFFICER, "Rota gap from 14:00", "duty")
    assert worker.send_one()
    assert modem.sent == [(OFFICER, "Rota gap from 14:00")]


def test_a_status_report_leaves_the_message_claimed_ahead_claimed(
    daemon: Daemon, modem: FakeModem, worker: ModemWorker, engine: Engine
) -> None:
    """Only a text can queue a duty forward; a delivery report read from the store must
    not make the message claimed ahead give way (and be claimed a second time)."""
    daemon.alerts.create("ALERT silver Subaru KX19 ABC, do not approach", ["DOCKING"], by="pc")
    assert worker.send_one()
    worker.settle()  # the first one's outcome, committed by the modem's writer thread
    ahead = sending(engine)
    assert len(ahead) == 1  # the next farm, claimed during the first one's flight
    modem.report(FARMS[0], ref=1)
    assert worker.read_inbound()
    assert modem.store == {}  # the report was read off the SIM
    assert sending(engine) == ahead


@pytest.mark.parametrize(
    ("registration", "sent_lately", "rests_long"),
    [
        ("unknown", False, False),  # +CREG stat 4, or a modem that will not say: not enough
        ("home", False, True),
        ("roaming", False, True),
        ("unknown", True, True),  # it says nothing, but its sends go
    ],
)
def test_a_failing_modem_rests_long_only_while_another_is_registered_or_sending(
    daemon: Daemon,
    modem: FakeModem,
    worker: ModemWorker,
    engine: Engine,
    registration: str,
    sent_lately: bool,
    rests_long: bool,
) -> None:
    modem_status.record(engine, "f2", "test", state="ready", registration=registration, rssi=20)
    if sent_lately:
        msg_id = daemon.outbox.enqueue(OFFICER, "sent by f2")
        assert daemon.outbox.claim("f2") is not None
        daemon.outbox.mark_sent(msg_id, [7], modem="f2")
    modem.failing = ModemError("+CMS ERROR: 500 unknown error")  # transient
    daemon.outbox.enqueue_many([(farm, "Gate left open at Docking") for farm in FARMS])
    for _ in FARMS:  # rest_after_failures: 5
        assert worker.send_one()
    assert not worker.send_one()  # resting
    [row] = [m for m in modem_status.all_modems(engine) if m.name == "f1"]
    assert row.state == "resting" and row.resting_until is not None
    rest = (row.resting_until - utcnow()).total_seconds()
    if rests_long:
        assert rest > LAST_MODEM_REST  # rest_seconds: 600
    else:
        assert rest <= LAST_MODEM_REST


def test_duty_queued_during_a_send_overtakes_the_broadcast_claimed_ahead(
    daemon: Daemon, modem: FakeModem, worker: ModemWorker
) -> None:
    """The next farm is claimed during the last one's flight; a duty message queued after
    that (by the console, another process) still goes first: the claimed farm gives way
    at its prompt and goes back to the queue untouched."""
    daemon.alerts.create("ALERT silver Subaru KX19 ABC, do not approach", ["DOCKING"], by="pc")
    modem.during_flight.append(  # the second farm is claimed by then
        lambda: (
            worker.pipeline.peek(),
            daemon.outbox.enqueue(OFFICER, "Sighting S1001: grey L200 at Stanhoe", "duty"),
        )
    )
    while worker.send_one():
        pass
    assert [to for to, _ in modem.sent] == [FARMS[0], OFFICER, *FARMS[1:]]


class RecordingModem(FakeModem):
    """Notes, as each body goes, what the database says of the message sent before it."""

    def __init__(self, engine: Engine) -> None:
        super().__init__("f1")
        self.engine = engine
        self.before: list[str | None] = []

    def send(self, to: str, text: str, **kwargs: Any) -> Sent:
        sent = super().send(to, text, **kwargs)  # before_body runs, then the body "goes"
        with self.engine.connect() as conn:
            done = conn.scalars(
                select(Message.status).where(Message.to.in_([t for t, _ in self.sent[:-1]]))
            ).all()
        self.before.append(",".join(sorted(set(done))) or None)
        return sent


def test_each_body_goes_only_once_the_last_outcome_is_on_disk(
    daemon: Daemon, engine: Engine
) -> None:
    """The crash rule with the writer thread: when a message leaves, every one before it is
    recorded as sent, so a crash leaves at most the one in flight unrecorded."""
    modem = RecordingModem(engine)
    worker = ModemWorker(
        modem,
        daemon.config.modems[0],
        daemon.config,
        engine,
        daemon.outbox,
        daemon.inbox,
        daemon.handlers,
        gate=daemon.gate,
    )
    assert worker.connect()
    daemon.alerts.create("ALERT blue van AB12 CDE, do not approach", ["DOCKING"], by="pc")
    while worker.send_one():
        pass
    worker.release()
    worker.pipeline.close()
    assert len(modem.sent) == len(FARMS)
    assert modem.before == [None] + ["sent"] * (len(FARMS) - 1)


def test_no_body_goes_while_the_last_outcome_could_not_be_written(
    daemon: Daemon, modem: FakeModem, worker: ModemWorker, engine: Engine, monkeypatch: Any
) -> None:
    """A database that refuses the outcome's commit (injected once here): the message that
    went stays `sending`, and the next waits in the queue rather than go too; the outcome
    is written again before the next body, so none is left for the lease to send twice."""
    daemon.alerts.create("ALERT blue van AB12 CDE, do not approach", ["DOCKING"], by="pc")
    record = daemon.outbox.record_sent
    failures = [OperationalError("UPDATE messages", {}, Exception("disk I/O error"))]

    def refuse_once(*args: Any, **kwargs: Any) -> bool:
        if failures:
            raise failures.pop()
        return record(*args, **kwargs)

    monkeypatch.setattr(daemon.outbox, "record_sent", refuse_once)
    assert worker.send_one()  # the first farm goes; its outcome will not be written
    with pytest.raises(OutcomeNotWritten):
        worker.send_one()  # the second is abandoned at its prompt
    assert [to for to, _ in modem.sent] == [FARMS[0]]
    with engine.connect() as conn:
        states = dict(conn.execute(select(Message.to, Message.status)).all())
    assert states[FARMS[0]] == "sending"  # for the lease: at worst this one goes twice
    assert states[FARMS[1]] == "queued"
    assert worker.faults == 1
    while worker.send_one():  # the database is back: the outcome is written first
        pass
    assert [to for to, _ in modem.sent] == FARMS
    worker.settle()
    assert sending(engine) == []  # nothing left for the lease to send a second time


def make_worker(daemon: Daemon, modem: FakeModem, gate: Any) -> ModemWorker:
    w = ModemWorker(
        modem,
        daemon.config.modems[0],
        daemon.config,
        daemon.engine,
        daemon.outbox,
        daemon.inbox,
        daemon.handlers,
        gate=gate,
    )
    assert w.connect()
    return w


def send_all(worker: ModemWorker, *expected: type[BaseException]) -> None:
    """The run loop's view: a step that raises is a fault, the loop turns again."""
    for _ in range(4 * len(FARMS)):
        try:
            if not worker.send_one():
                return
        except expected:
            continue


@pytest.mark.parametrize("failing_call", [1, 2])  # 1: the claim now, 2: the claim ahead
def test_a_gate_that_raises_strands_no_claimed_message_in_sending(
    daemon: Daemon, engine: Engine, failing_call: int
) -> None:
    """The gate reads subscribers from the database; a failed read must hand the claimed
    message back, not leave it `sending` for the lease (300 s)."""
    calls: list[int] = []

    def flaky_gate(msg: Any) -> Verdict:
        calls.append(msg.id)
        if len(calls) == failing_call:
            raise OperationalError("SELECT subscribers", {}, Exception("database is locked"))
        return daemon.gate(msg)

    modem = FakeModem("f1")
    worker = make_worker(daemon, modem, flaky_gate)
    daemon.alerts.create("ALERT blue van AB12 CDE, do not approach", ["DOCKING"], by="pc")
    send_all(worker, OperationalError)
    worker.settle()
    worker.pipeline.close()
    assert sending(engine) == []
    assert sorted(to for to, _ in modem.sent) == sorted(FARMS)


class FailsAfterBody(FakeModem):
    """The network refuses the first send after its body went (+CMS ERROR)."""

    def send(self, to: str, text: str, **kwargs: Any) -> Sent:
        sent = super().send(to, text, **kwargs)  # before_body, the body, in_flight
        if len(self.sent) == 1:
            raise ModemError("+CMS ERROR: 38 network out of order")
        return sent


def test_duty_queued_during_a_failed_send_goes_before_the_broadcast_claimed_ahead(
    daemon: Daemon,
) -> None:
    """No outcome is written for a send the network refused, so nothing checks the farm
    claimed during that flight against the duty message queued meanwhile: it gives way to
    a fresh claim."""
    modem = FailsAfterBody("f1")
    worker = make_worker(daemon, modem, daemon.gate)
    daemon.alerts.create("ALERT silver Subaru KX19 ABC, do not approach", ["DOCKING"], by="pc")
    modem.during_flight.append(
        lambda: (
            worker.pipeline.peek(),  # the second farm is claimed by then
            daemon.outbox.enqueue(OFFICER, "Sighting S1001: grey L200 at Stanhoe", "duty"),
        )
    )
    assert worker.send_one()  # the first farm: refused after its body
    assert worker.send_one()
    assert modem.sent[1][0] == OFFICER, modem.sent
    worker.release()
    worker.pipeline.close()


class TimesOutAfterBody(FakeModem):
    """The first send's answer never comes (ModemTimeout after the body went)."""

    def send(self, to: str, text: str, **kwargs: Any) -> Sent:
        sent = super().send(to, text, **kwargs)
        if len(self.sent) == 1:
            raise ModemTimeout("AT+CMGS=23", 0.01, [])
        return sent


def test_a_failed_claim_ahead_then_a_modem_timeout_does_not_kill_the_worker(
    daemon: Daemon,
) -> None:
    """run() calls release() in its ModemTimeout/PortLost handlers: the claim ahead's
    failure must not escape from there and end the modem's thread."""
    calls: list[int] = []

    def flaky_gate(msg: Any) -> Verdict:
        calls.append(msg.id)
        if len(calls) == 2:  # the claim ahead, during the first farm's flight
            raise OperationalError("SELECT subscribers", {}, Exception("database is locked"))
        return daemon.gate(msg)

    modem = TimesOutAfterBody("f1")
    worker = make_worker(daemon, modem, flaky_gate)
    daemon.alerts.create("ALERT blue van AB12 CDE, do not approach", ["DOCKING"], by="pc")
    worker.start()
    try:
        deadline = time.monotonic() + 5
        while len(modem.sent) < len(FARMS) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker._thread.is_alive(), "the modem's thread died"
    finally:
        worker.stop()
        worker.join(5)
