"""The real daemon against each fault a modem in the field plays, on the emulator's pty.

The emulator runs in this process so a test can change its faults while the daemon,
also in this process, talks to it through pyserial like to any modem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from procs import handed_over, wait_for
from sqlalchemy import Engine, select

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.models import Message
from gateway.modems import status as modem_status
from hardware.emulator import Emulator

pytestmark = pytest.mark.slow

TO = "+447700900701"
DEAD = "+447700900999"

Start = Callable[..., tuple[Emulator, Daemon]]


@pytest.fixture
def start(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[Start]:
    running: list[tuple[Emulator, Daemon]] = []

    def go(modem: dict[str, Any] | None = None, **emulator: Any) -> tuple[Emulator, Daemon]:
        emu = Emulator(link=str(tmp_path / "modem"), **emulator)
        emu.start()
        cfg = config_mod.from_dict(
            {
                "database": {"url": db_url},
                "gateway": {
                    "node": "test",
                    "health_interval": 0.3,
                    "port_search": [str(tmp_path / "moved*")],
                },
                "modem": [{"name": "m1", "port": str(tmp_path / "modem"), **(modem or {})}],
                "outbox": {
                    "retry_base": 0.1,
                    "retry_max": 0.5,
                    "poll_interval": 0.05,
                    "max_attempts": 4,
                },
            }
        )
        daemon = Daemon(cfg, engine=engine)
        daemon.start()
        running.append((emu, daemon))
        return emu, daemon

    yield go
    for emu, daemon in running:
        daemon.stop()
        emu.stop()


def state(engine: Engine) -> str:
    return {m.name: m.state for m in modem_status.all_modems(engine)}.get("m1", "")


def status_of(engine: Engine, msg_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(Message.status, Message.last_error).where(Message.id == msg_id))
        return tuple(row.one())  # type: ignore[return-value]


def test_no_sim_is_shown_and_the_message_waits_until_one_is_fitted(
    start: Start, engine: Engine
) -> None:
    emu, daemon = start(sim="absent")
    wait_for(lambda: state(engine) == "no-sim", 10, "the no-sim state")
    msg_id = daemon.outbox.enqueue(TO, "waits for a SIM")
    emu.faults.update(sim="ready")
    wait_for(lambda: status_of(engine, msg_id)[0] in ("sent", "delivered"), 20, "the send")
    assert state(engine) == "ready"


def test_a_sim_pin_is_entered_once(start: Start, engine: Engine) -> None:
    _, daemon = start({"pin": "4821"}, pin="4821")
    wait_for(lambda: state(engine) == "ready", 10, "ready with the PIN")
    msg_id = daemon.outbox.enqueue(TO, "after the PIN")
    wait_for(lambda: status_of(engine, msg_id)[0] in ("sent", "delivered"), 10, "the send")


def test_a_wrong_pin_is_never_tried_twice(
    start: Start, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, daemon = start({"pin": "0000"}, pin="4821")
    wait_for(lambda: state(engine) == "pin-refused", 10, "the pin-refused state")
    worker = daemon.workers[0]
    opened = worker.modem.open
    reopens: list[None] = []

    def counted() -> None:
        try:
            opened()
        finally:
            reopens.append(None)  # counted once the attempt is over, PIN and all

    monkeypatch.setattr(worker.modem, "open", counted)
    for n in (1, 2, 3):
        worker.wake.set()  # cut the back-off short: reopen now
        wait_for(
            lambda n=n: len(reopens) >= n and state(engine) == "pin-refused",
            10,
            f"reopen {n} of the port",
        )
    assert emu.context.sim.attempts_left == 2  # of three: the wrong PIN went once
    assert state(engine) == "pin-refused"


def test_lost_registration_holds_messages_until_the_network_returns(
    start: Start, engine: Engine
) -> None:
    emu, daemon = start()
    wait_for(lambda: state(engine) == "ready", 10, "ready")
    emu.faults.update(registration=2)
    wait_for(lambda: state(engine) == "not-registered", 10, "not-registered")
    msg_id = daemon.outbox.enqueue(TO, "held while off the network")
    assert status_of(engine, msg_id)[0] == "queued"
    emu.faults.update(registration=1)
    wait_for(lambda: status_of(engine, msg_id)[0] in ("sent", "delivered"), 15, "the send")


def test_no_signal_is_shown(start: Start, engine: Engine) -> None:
    emu, _ = start()
    wait_for(lambda: state(engine) == "ready", 10, "ready")
    emu.faults.update(rssi=99, registration=0)
    wait_for(lambda: state(engine) == "no-signal", 10, "no-signal")
    emu.faults.update(rssi=20, registration=1)
    wait_for(lambda: state(engine) == "ready", 15, "ready again")


@pytest.mark.timeout(180)  # up to 30 s of AT+CMGL, then a reopen and a send
def test_a_hung_modem_is_reopened_and_carries_on(start: Start, engine: Engine) -> None:
    emu, daemon = start()
    wait_for(lambda: state(engine) == "ready", 10, "ready")
    emu.faults.update(mute=True)
    # The command in flight when it goes mute may be the SIM sweep's AT+CMGL, whose
    # timeout is 30 s (a full SIM lists slowly): seen in CI, where 30 s here was too short.
    wait_for(lambda: state(engine) == "unresponsive", 60, "unresponsive")
    msg_id = daemon.outbox.enqueue(TO, "after the hang")
    emu.faults.update(mute=False)
    wait_for(lambda: status_of(engine, msg_id)[0] in ("sent", "delivered"), 40, "the send")
    assert [p.text for p in emu.sent] == ["after the hang"]


def test_an_unplugged_modem_is_found_again_by_imei_under_a_new_name(
    start: Start, engine: Engine, tmp_path: Path
) -> None:
    emu, daemon = start()
    wait_for(lambda: state(engine) == "ready", 10, "ready")
    emu.vanish(1.0, new_link=str(tmp_path / "moved-ttyUSB5"))
    wait_for(lambda: state(engine) == "disconnected", 10, "disconnected")
    msg_id = daemon.outbox.enqueue(TO, "after the re-plug")
    wait_for(lambda: status_of(engine, msg_id)[0] in ("sent", "delivered"), 40, "the send")
    [view] = modem_status.all_modems(engine)
    assert view.port == str(tmp_path / "moved-ttyUSB5")


def test_a_dead_number_fails_with_the_modems_code_and_blocks_nobody(
    start: Start, engine: Engine
) -> None:
    _, daemon = start(cms_error_to={DEAD: 1})
    dead = daemon.outbox.enqueue(DEAD, "to nobody", "urgent")
    live = daemon.outbox.enqueue(TO, "to somebody", "bulk")
    wait_for(lambda: status_of(engine, dead)[0] == "failed", 10, "the dead number to fail")
    wait_for(lambda: status_of(engine, live)[0] in ("sent", "delivered"), 10, "the live one")
    assert "+CMS ERROR 1" in (status_of(engine, dead)[1] or "")


def test_a_number_that_keeps_failing_transiently_waits_while_others_go(
    start: Start, engine: Engine
) -> None:
    emu, daemon = start(cms_error_to={DEAD: 38})
    dead = daemon.outbox.enqueue(DEAD, "network keeps failing", "urgent")
    others = daemon.outbox.enqueue_many([(TO, f"other {i}") for i in range(5)], "bulk")
    wait_for(
        lambda: all(status_of(engine, i)[0] in ("sent", "delivered") for i in others),
        10,
        "the others",
    )
    wait_for(lambda: status_of(engine, dead)[0] == "failed", 20, "the dead one to give up")
    assert "gave up after 4 attempts" in (status_of(engine, dead)[1] or "")
    assert len(emu.refused) == 4


def test_a_failed_delivery_report_fails_the_message(start: Start, engine: Engine) -> None:
    _, daemon = start(report_failures=1.0, report_delay=0.3)
    msg_id = daemon.outbox.enqueue(TO, "never reaches the phone")
    wait_for(lambda: status_of(engine, msg_id)[0] == "sent", 10, "sent first")
    wait_for(lambda: status_of(engine, msg_id)[0] == "failed", 10, "the failed report")
    assert "incompatible destination" in (status_of(engine, msg_id)[1] or "")
    assert handed_over(daemon.outbox) == 0
