"""The daemon with `driver = "gammu"`: python-gammu owns the emulator's pty."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from procs import SMSGW, handed_over, wait_for
from sqlalchemy import Engine

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.inbox.store import Received
from gateway.modems import status as modem_status
from hardware.emulator import Emulator

pytestmark = pytest.mark.slow


def test_the_daemon_sends_and_receives_through_python_gammu(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    emu = Emulator(log_path=str(tmp_path / "emulator.log"))
    device = emu.start()
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "g1", "driver": "gammu", "port": device}],
            "outbox": {"poll_interval": 0.1},
        }
    )
    received: list[Received] = []
    daemon = Daemon(cfg, engine=engine, handlers=[received.append])
    daemon.start()
    try:
        text = "Black Shogun WU62 XPO seen at Stanhoe pond, 4 occupants. " * 3
        daemon.outbox.enqueue("+447700900801", text)
        wait_for(lambda: handed_over(daemon.outbox) == 1, 60, "the send through gammu")
        emu.inject("+447700900802", "lamping near Fring crossroads")
        wait_for(lambda: len(received) == 1, 30, "the inbound text through gammu")
    finally:
        daemon.stop()
        emu.stop()
    ours = [p for p in emu.sent if p.to == "+447700900801"]  # not the sighting's thanks
    assert "".join(p.text for p in sorted(ours, key=lambda p: p.part or 1)) == text
    assert (received[0].sender, received[0].text) == (
        "+447700900802",
        "lamping near Fring crossroads",
    )


def test_the_daemon_sends_through_gammu_on_a_modem_that_refuses_cgatt(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    """The registration is unknown (libgammu's network query fails): try to send."""
    emu = Emulator()
    emu.faults.update(no_cgatt=True)
    device = emu.start()
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "g1", "driver": "gammu", "port": device}],
            "outbox": {"poll_interval": 0.1},
        }
    )
    daemon = Daemon(cfg, engine=engine)
    daemon.start()
    try:
        daemon.outbox.enqueue("+447700900803", "sent without AT+CGATT")
        wait_for(lambda: handed_over(daemon.outbox) == 1, 45, "the send through gammu")
        [modem] = modem_status.all_modems(engine)
    finally:
        daemon.stop()
        emu.stop()
    assert [(p.to, p.text) for p in emu.sent] == [("+447700900803", "sent without AT+CGATT")]
    assert (modem.state, modem.registration) == ("ready", "unknown")


def test_modem_probe_with_the_gammu_driver() -> None:
    emu = Emulator(imei="356938035643809")
    device = emu.start()
    try:
        done = subprocess.run(
            [*SMSGW, "modem", "probe", device, "--driver", "gammu", "--json"],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        emu.stop()
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["imei"], info["state"], info["registration"]) == (
        "356938035643809",
        "ready",
        "home",
    )
