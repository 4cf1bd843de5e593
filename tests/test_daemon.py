"""The daemon in this process, on the built-in emulator over a real pty and a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from procs import handed_over, wait_for
from sqlalchemy import Engine, select

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.models import Message, ModemStatus
from gateway.inbox.store import Received

GAMEKEEPER = "+447700900301"


@pytest.fixture
def daemon(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[Daemon]:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [
                {
                    "name": "emu1",
                    "driver": "emulator",
                    "log": str(tmp_path / "emulator.log"),
                    "inject_dir": str(tmp_path / "inject"),
                }
            ],
            "outbox": {"retry_base": 0.1, "poll_interval": 0.1},
            "inbound": {"partial_timeout": 1.0},
        }
    )
    (tmp_path / "inject").mkdir()
    received: list[Received] = []
    d = Daemon(cfg, engine=engine, handlers=[received.append])
    d.received = received  # type: ignore[attr-defined]
    d.start()
    yield d
    d.stop()


def emulator_log(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "emulator.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_queued_message_reaches_the_modem_and_is_marked_sent(
    daemon: Daemon, engine: Engine, tmp_path: Path
) -> None:
    msg_id = daemon.outbox.enqueue(GAMEKEEPER, "Silver Subaru KX19 ABC heading to Docking")
    wait_for(lambda: handed_over(daemon.outbox) == 1, 10, "the message to be sent")
    [entry] = emulator_log(tmp_path)
    assert entry["to"] == GAMEKEEPER
    assert entry["text"] == "Silver Subaru KX19 ABC heading to Docking"
    with engine.connect() as conn:
        row = conn.execute(select(Message).where(Message.id == msg_id)).one()
    assert row.modem == "emu1" and row.attempts == 1 and row.refs


def test_a_long_unicode_text_goes_as_parts_and_counts_as_one_message(
    daemon: Daemon, engine: Engine, tmp_path: Path
) -> None:
    text = "Suspect vehicle “silver Subaru” – do not approach 🚓 " * 4
    msg_id = daemon.outbox.enqueue(GAMEKEEPER, text, "urgent")
    wait_for(lambda: handed_over(daemon.outbox) == 1, 10, "the long message")
    parts = emulator_log(tmp_path)
    assert len(parts) > 1 and {p["parts"] for p in parts} == {len(parts)}
    assert "".join(str(p["text"]) for p in sorted(parts, key=lambda p: int(p["part"]))) == text
    with engine.connect() as conn:
        assert conn.scalar(select(Message.parts).where(Message.id == msg_id)) == len(parts)


def test_an_inbound_text_is_stored_and_deleted_from_the_sim(daemon: Daemon, tmp_path: Path) -> None:
    (tmp_path / "inject" / "a.json").write_text(
        json.dumps({"from": GAMEKEEPER, "text": "hare coursers at Bircham, 2 dogs"})
    )
    wait_for(lambda: len(daemon.received) == 1, 10, "the sighting")  # type: ignore[attr-defined]
    [msg] = daemon.inbox.recent()
    assert (msg.sender, msg.text, msg.complete) == (
        GAMEKEEPER,
        "hare coursers at Bircham, 2 dogs",
        True,
    )
    emulator = daemon.built[0].emulator
    assert emulator is not None
    wait_for(lambda: emulator.store.used() == 0, 5, "the SIM store to be emptied")


def test_a_long_inbound_text_is_joined_from_its_parts(daemon: Daemon, tmp_path: Path) -> None:
    text = "Green L200 pickup, reg starts YR68, driving slowly along Sedgeford lane. " * 5
    (tmp_path / "inject" / "long.json").write_text(json.dumps({"from": GAMEKEEPER, "text": text}))
    wait_for(lambda: len(daemon.received) == 1, 10, "the long text")  # type: ignore[attr-defined]
    [msg] = daemon.inbox.recent()
    assert msg.text == text and msg.parts > 1 and msg.complete


def test_the_modem_state_is_recorded(daemon: Daemon, engine: Engine) -> None:
    def ready() -> bool:
        with engine.connect() as conn:
            return (
                conn.scalar(select(ModemStatus.state).where(ModemStatus.name == "emu1")) == "ready"
            )

    wait_for(ready, 10, "the modem to report ready")
    with engine.connect() as conn:
        row = conn.execute(select(ModemStatus)).one()
    assert row.imei and row.operator


def test_urgent_overtakes_bulk_already_queued(daemon: Daemon, tmp_path: Path) -> None:
    daemon.stop()  # queue while no worker runs, then start a fresh daemon on the same database
    daemon.outbox.enqueue_many([(GAMEKEEPER, f"bulk {i}") for i in range(5)], "bulk")
    daemon.outbox.enqueue(GAMEKEEPER, "URGENT alert", "urgent")
    second = Daemon(daemon.config, engine=daemon.engine)
    second.start()
    try:
        wait_for(lambda: handed_over(second.outbox) == 6, 10, "all six")
    finally:
        second.stop()
    order = [e["text"] for e in emulator_log(tmp_path)]
    assert order[0] == "URGENT alert"
