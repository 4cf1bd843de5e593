"""What a worker does with each outcome of a send and with each text, its steps called
one at a time on a FakeModem: no threads, no sleeps. Time on the worker's side (a modem's
rate, its rest, the sweep, report batches) moves with its `clock=`; the threaded daemon
on the emulator plays the same faults elsewhere (test_faults, test_pool, test_nothing_lost).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_modem import FakeModem
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gateway.app.services import Services
from gateway.core import config as config_mod
from gateway.core.config import InboundConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.inbox import troubles
from gateway.inbox.store import ROUTE_ATTEMPTS, Inbox, MessageHandler, Received
from gateway.modems import status as modem_status
from gateway.modems.receiver import REPORT_WAIT
from gateway.modems.worker import ModemWorker
from hardware.errors import CmsError, ModemError, ModemTimeout, PortLost

KEEPER = "+447700900501"
FARM = "+447700900101"
OTHER_FARM = "+447700900102"
DESK = "+447700900699"
SIGHTING = "Grey L200 YR68 XYZ at Stanhoe now"
SWEEP = 60.0  # the sweep's interval, seconds of the worker's clock
RETRY_BASE = 2.0  # seconds before the first retry


class Clock:
    """The worker's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Rig = Callable[..., ModemWorker]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def modem() -> FakeModem:
    return FakeModem("f1")


@pytest.fixture
def rig(db_url: str, engine: Engine, modem: FakeModem, clock: Clock) -> Iterator[Rig]:
    """rig(handlers=None, status_reports=False, **modem_settings): a connected worker over
    the gateway's real services; handlers default to the router."""
    made: list[ModemWorker] = []

    def build(
        handlers: list[MessageHandler] | None = None,
        status_reports: bool = False,
        **settings: Any,
    ) -> ModemWorker:
        cfg = config_mod.from_dict(
            {
                "database": {"url": db_url},
                "gateway": {"node": "test"},
                "modem": [{"name": "f1", "driver": "at", "port": "/dev/null", **settings}],
                "outbox": {"status_reports": status_reports, "retry_base": RETRY_BASE},
                "inbound": {"sweep_interval": SWEEP},
                "rota": {"fallback_number": DESK},
            }
        )
        services = Services(cfg, engine)
        worker = ModemWorker(
            modem,
            cfg.modems[0],
            cfg,
            engine,
            services.outbox,
            services.inbox,
            [services.router] if handlers is None else handlers,
            gate=services.gate,
            clock=clock,
        )
        assert worker.connect()
        made.append(worker)
        return worker

    yield build
    for worker in made:
        worker.release()
        worker.pipeline.close()


def inbox(engine: Engine) -> Inbox:
    return Inbox(engine, InboundConfig())


def row(engine: Engine, msg_id: int) -> Message:
    with Session(engine) as session:
        return session.scalars(select(Message).where(Message.id == msg_id)).one()


def modem_state(engine: Engine) -> str:
    return {m.name: m.state for m in modem_status.all_modems(engine)}["f1"]


# ---- the outcome of a send ------------------------------------------------------------


def test_a_transient_cms_error_puts_the_message_back_to_wait(
    rig: Rig, modem: FakeModem, engine: Engine
) -> None:
    worker = rig()
    msg_id = worker.outbox.enqueue(FARM, "Gate left open at Docking")
    modem.failing = CmsError(38)  # network out of order: worth another try
    assert worker.send_one()
    modem.failing = None
    failed = row(engine, msg_id)
    assert (failed.status, failed.attempts, failed.last_error) == ("queued", 1, "+CMS ERROR 38")
    wait = (failed.next_attempt_at - utcnow()).total_seconds()
    assert 0 < wait <= RETRY_BASE
    assert not worker.send_one()  # it waits its turn
    assert modem.sent == []


def test_a_permanent_cms_error_fails_the_message_at_once(
    rig: Rig, modem: FakeModem, engine: Engine
) -> None:
    worker = rig()
    msg_id = worker.outbox.enqueue(FARM, "Gate left open at Docking")
    modem.failing = CmsError(1)  # unassigned number: no retry can help
    assert worker.send_one()
    failed = row(engine, msg_id)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "+CMS ERROR 1")
    assert worker.outbox.counts()["queued"] == 0


@pytest.mark.parametrize(
    "lost",
    [PortLost("USB unplugged"), ModemTimeout("AT+CMGS=23", 60, [])],
    ids=["port-lost", "timeout"],
)
def test_a_lost_modem_hands_the_message_back_without_counting_the_attempt(
    rig: Rig, modem: FakeModem, engine: Engine, lost: ModemError
) -> None:
    worker = rig()
    msg_id = worker.outbox.enqueue(FARM, "Gate left open at Docking")
    modem.failing = lost
    with pytest.raises(type(lost)):  # for the loop: reopen the port
        worker.send_one()
    back = row(engine, msg_id)
    assert (back.status, back.attempts) == ("queued", 0)
    assert (back.last_error or "").startswith("f1: ")
    modem.failing = None
    assert worker.send_one()  # at once: the modem failed, not the message
    worker.settle()  # its outcome, committed by the modem's writer thread
    sent = row(engine, msg_id)
    assert (sent.status, sent.attempts) == ("sent", 1)


def test_a_message_claimed_ahead_goes_back_uncounted_when_the_modem_lets_go(
    rig: Rig, modem: FakeModem, engine: Engine
) -> None:
    worker = rig()
    first, ahead = worker.outbox.enqueue_many([(FARM, "Gate open"), (OTHER_FARM, "Gate open")])
    assert worker.send_one()  # claims `ahead` with the first one's outcome
    assert row(engine, ahead).status == "sending"
    worker.release()  # on stop, rest or a lost port
    back = row(engine, ahead)
    assert (back.status, back.attempts) == ("queued", 0)
    assert row(engine, first).status == "sent"


def test_a_modem_limited_per_minute_sends_again_only_when_its_turn_comes(
    rig: Rig, modem: FakeModem, clock: Clock
) -> None:
    worker = rig(max_per_minute=2)
    worker.outbox.enqueue_many([(FARM, "Gate open"), (OTHER_FARM, "Gate open")])
    assert worker.send_one()
    clock.advance(29)
    assert not worker.send_one()
    clock.advance(1)
    assert worker.send_one()
    assert [to for to, _ in modem.sent] == [FARM, OTHER_FARM]


def test_a_modem_that_keeps_failing_rests_and_sends_again_once_its_rest_is_over(
    rig: Rig, modem: FakeModem, clock: Clock, engine: Engine
) -> None:
    worker = rig(rest_after_failures=2)
    worker.outbox.enqueue_many([(FARM, "Gate open"), (OTHER_FARM, "Gate open")])
    modem.failing = CmsError(38)
    assert worker.send_one() and worker.send_one()
    assert modem_state(engine) == "resting"
    modem.failing = None
    worker.outbox.enqueue(KEEPER, "Thanks, logged", "duty")
    assert not worker.send_one()
    clock.advance(RETRY_BASE)  # the last modem that can send only pauses (test_pool)
    assert worker.send_one()
    assert modem.sent == [(KEEPER, "Thanks, logged")]
    assert modem_state(engine) == "ready"


def test_delivery_reports_wait_for_a_batch_until_the_oldest_has_waited(
    rig: Rig, modem: FakeModem, clock: Clock, engine: Engine
) -> None:
    worker = rig(status_reports=True)
    msg_id = worker.outbox.enqueue(FARM, "Gate left open at Docking")
    assert worker.send_one()
    modem.hand_report(FARM, ref=1)
    assert not worker.apply_reports()  # one report: not worth a transaction yet
    clock.advance(REPORT_WAIT)
    assert worker.apply_reports()  # handed to the modem's writer thread
    worker.settle()
    assert row(engine, msg_id).status == "delivered"


# ---- texts ----------------------------------------------------------------------------


def test_the_sweep_reads_a_text_whose_cmti_was_lost(
    rig: Rig, modem: FakeModem, engine: Engine
) -> None:
    worker = rig()
    modem.keep(KEEPER, SIGHTING)
    assert not worker.read_inbound()  # nothing was announced
    worker.sweep()
    assert modem.store == {}
    [stored] = inbox(engine).recent()
    assert (stored.text, stored.routed) == (SIGHTING, True)


def test_the_sweep_comes_round_again_only_after_its_interval(
    rig: Rig, modem: FakeModem, clock: Clock
) -> None:
    worker = rig()
    worker.sweep()  # the first, just after the port opened
    modem.keep(KEEPER, SIGHTING)
    clock.advance(SWEEP - 1)
    worker.sweep()
    assert len(modem.store) == 1
    clock.advance(1)
    worker.sweep()
    assert modem.store == {}


def test_a_text_that_makes_a_handler_raise_is_kept_unrouted_and_the_worker_goes_on(
    rig: Rig, modem: FakeModem, engine: Engine
) -> None:
    def broken(msg: Received) -> None:
        raise ValueError(f"cannot handle {msg.id}")

    worker = rig(handlers=[broken])
    modem.announce(KEEPER, SIGHTING)
    assert worker.read_inbound()
    assert modem.store == {}  # stored, so off the SIM
    [kept] = inbox(engine).unrouted("f1")
    assert kept.text == SIGHTING and kept.route_error.startswith("ValueError: cannot handle")
    worker.outbox.enqueue(FARM, "Gate left open at Docking")
    assert worker.send_one()
    assert modem.sent == [(FARM, "Gate left open at Docking")]


def test_an_unrouted_text_is_routed_again_by_the_sweep(
    rig: Rig, modem: FakeModem, clock: Clock, engine: Engine
) -> None:
    calls: list[int] = []

    def flaky(msg: Received) -> None:
        calls.append(msg.id)
        if len(calls) == 1:
            raise RuntimeError("the incident system is down")

    worker = rig(handlers=[flaky])
    worker.sweep()  # the first, just after the port opened
    modem.announce(KEEPER, SIGHTING)
    assert worker.read_inbound()
    assert len(inbox(engine).unrouted("f1")) == 1
    clock.advance(SWEEP)
    worker.sweep()
    assert inbox(engine).unrouted("f1") == []
    assert len(calls) == 2 and calls[0] == calls[1]


def test_a_text_that_never_routes_waits_for_a_person_after_its_tries(
    rig: Rig, modem: FakeModem, clock: Clock, engine: Engine
) -> None:
    calls: list[int] = []

    def broken(msg: Received) -> None:
        calls.append(msg.id)
        raise ValueError("cannot handle it")

    worker = rig(handlers=[broken])
    modem.announce(KEEPER, SIGHTING)
    assert worker.read_inbound()
    for _ in range(ROUTE_ATTEMPTS + 1):
        clock.advance(SWEEP)
        worker.sweep()
    assert len(calls) == ROUTE_ATTEMPTS
    assert troubles.count(engine).unrouted == 1


def test_a_report_read_off_the_sim_waits_for_the_outcome_it_is_about(
    rig: Rig, modem: FakeModem, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outcome (and the part's reference) is committed by the modem's writer thread;
    a report the modem stored on the SIM (+CDSI) may be read before that commit is done
    (slowed down here), and must still find its message."""
    worker = rig(status_reports=True)
    msg_id = worker.outbox.enqueue(FARM, "Gate left open at Docking")
    record = worker.outbox.record_sent

    def slow(*args: Any, **kwargs: Any) -> bool:
        time.sleep(0.3)  # a Pi's SD card on a bad day
        return record(*args, **kwargs)

    monkeypatch.setattr(worker.outbox, "record_sent", slow)
    assert worker.send_one()
    modem.report(FARM, ref=1)
    assert worker.read_inbound()
    assert row(engine, msg_id).status == "delivered"
    assert modem.store == {}
