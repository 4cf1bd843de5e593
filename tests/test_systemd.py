"""systemd: the units pass `systemd-analyze verify`, the daemon says when it is ready,
pings the watchdog only while it works, and logs with priorities journald keeps."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from procs import SMSGW, start_emulator, stop, write_config
from sqlalchemy import Engine

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core import systemd

UNITS = Path(__file__).parent.parent / "systemd"
INSTALLED = "/opt/smsgw/.venv/bin/smsgw"


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is part of systemd, which make test installs"
    smsgw = Path(sys.executable).parent / "smsgw"  # where this checkout installed it
    units = sorted(UNITS.glob("smsgw*.*"))
    assert {u.name for u in units} >= {"smsgw.service", "smsgw-daemon.service", "smsgw-web.service"}
    for unit in units:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(smsgw)))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in units)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warned about


def test_the_gateway_units_are_hardened_but_reach_the_modem() -> None:
    for name in ("smsgw.service", "smsgw-daemon.service"):
        lines = set((UNITS / name).read_text().splitlines())
        for setting in (
            "Type=notify",
            "Restart=on-failure",
            "User=smsgw",
            "SupplementaryGroups=dialout",
            "StateDirectory=smsgw",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "DevicePolicy=closed",
            "DeviceAllow=char-ttyUSB rw",
            "DeviceAllow=char-ttyACM rw",
        ):
            assert setting in lines, f"{name} lacks {setting}"
        assert any(line.startswith("WatchdogSec=") for line in lines)
        # Migrations run before, in a process of their own: the gateway never loads Alembic.
        upgrade = f"ExecStartPre={INSTALLED} db upgrade --config /etc/smsgw/config.toml"
        assert upgrade in lines, f"{name} lacks {upgrade}"
    web = (UNITS / "smsgw-web.service").read_text()
    assert "PrivateDevices=yes" in web and "dialout" not in web  # the console has no modem


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(20)
    yield sock
    sock.close()


def datagrams(sock: socket.socket, until: str, timeout: float = 20) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got.append(sock.recv(4096).decode())
        if until in got[-1]:
            return got
    raise AssertionError(f"no {until!r} in {got}")


def test_notify_writes_one_datagram(
    notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.ready("nothing") is False  # not under systemd: a quiet no-op
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.getsockname())
    assert systemd.ready("3 queued") is True
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=3 queued"


def test_the_watchdog_interval_is_half_of_watchdog_sec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert systemd.watchdog_interval() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert systemd.watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert systemd.watchdog_interval() is None


def test_the_daemon_is_ready_then_pings_and_logs_for_journald(
    tmp_path: Path, db_url: str, notify_socket: socket.socket
) -> None:
    emulator = start_emulator(tmp_path / "modem", tmp_path / "sent.jsonl")
    config = write_config(tmp_path, db_url, tmp_path / "modem")
    env = {
        **os.environ,
        "NOTIFY_SOCKET": notify_socket.getsockname(),
        "WATCHDOG_USEC": "1000000",  # a ping every half second
        "JOURNAL_STREAM": "8:12345",
    }
    env.pop("WATCHDOG_PID", None)
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [*SMSGW, "daemon", "--config", str(config)], env=env, stdout=out, stderr=out
        )
    try:
        first = datagrams(notify_socket, "READY=1")
        assert first[-1].startswith("READY=1\nSTATUS=0 queued, 0 sending; m1 ")
        pings = datagrams(notify_socket, "m1 ready")
        assert all(p.startswith("WATCHDOG=1\nSTATUS=") for p in pings)
    finally:
        stop(daemon)
        stop(emulator)
    lines = [line for line in log.read_text().splitlines() if line]
    assert lines and all(line[:3] in ("<6>", "<4>", "<3>", "<7>") for line in lines), lines[:5]
    assert any(line.startswith("<6>gateway.app.daemon: gateway test started") for line in lines)


def test_a_stalled_worker_or_a_lost_database_stops_the_pings(
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    notify_socket: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "modem": [{"name": "e1", "driver": "emulator", "log": str(tmp_path / "e.log")}],
        }
    )
    daemon = Daemon(cfg, engine=engine)
    daemon.start()
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.getsockname())
    try:
        assert daemon.problem() is None and daemon.ping_watchdog()
        assert notify_socket.recv(4096).startswith(b"WATCHDOG=1\n")
        [worker] = daemon.workers
        worker.beat -= 1000  # as if one send had hung for a quarter of an hour
        assert "has not turned" in str(daemon.problem())
        assert daemon.ping_watchdog() is False
        notify_socket.settimeout(0.3)
        with pytest.raises(TimeoutError):
            notify_socket.recv(4096)
    finally:
        daemon.stop()
    daemon.workers.clear()
    (tmp_path / "smsgw.db").unlink()
    (tmp_path / "smsgw.db").mkdir()  # the file gone and its path unusable
    engine.dispose()
    assert "database does not answer" in str(daemon.problem())
