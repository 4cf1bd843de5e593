"""The `smsgw` command line as scripts use it: real processes, real exit codes."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

from procs import SMSGW, wait_for
from sqlalchemy import Engine

from gateway.alerts.service import Alerts
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.config import InboundConfig, OutboxConfig
from gateway.core.db import utcnow
from gateway.inbox.store import Inbox, IncomingPart
from gateway.outbox.queue import Outbox
from gateway.rota.service import Rota
from gateway.subscribers.service import Subscribers

ROOT = Path(__file__).resolve().parent.parent
HOUR = timedelta(hours=1)


def smsgw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SMSGW, *args], capture_output=True, text=True, timeout=60)


def config_file(tmp_path: Path, db_url: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n')
    return str(path)


def test_send_queues_a_message_and_prints_its_id(tmp_path: Path, db_url: str) -> None:
    cfg = config_file(tmp_path, db_url)
    done = smsgw(
        "send", "--config", cfg, "--to", "07700 900123", "--text", "hello", "--priority", "urgent"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    status = smsgw("status", "--config", cfg, "--json")
    data = json.loads(status.stdout)
    assert data["messages"] == {
        "queued": 1,
        "sending": 0,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "cancelled": 0,
        "opted_out": 0,
    }
    assert data["modems"] == []


def test_an_impossible_number_is_refused_with_one_line_and_status_2(
    tmp_path: Path, db_url: str
) -> None:
    done = smsgw("send", "--config", config_file(tmp_path, db_url), "--to", "12", "--text", "x")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "'12'" in done.stderr


def test_a_bad_config_names_the_key_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[gateway]\ncuntry = "GB"\n')
    done = smsgw("status", "--config", str(path))
    assert done.returncode == 2
    assert "gateway.cuntry" in done.stderr and str(path) in done.stderr


def test_the_environment_variable_names_the_config(tmp_path: Path, db_url: str) -> None:
    import os

    env = {**os.environ, "SMSGW_CONFIG": config_file(tmp_path, db_url)}
    done = subprocess.run(
        [*SMSGW, "status", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"]["queued"] == 0


def test_inbox_lists_received_messages_newest_first(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    box = Inbox(engine, InboundConfig())
    box.store("m1", IncomingPart("+447700900401", utcnow(), "first"))
    box.store("m1", IncomingPart("+447700900402", utcnow(), "<b>second</b>"))
    done = smsgw("inbox", "--config", config_file(tmp_path, db_url), "--json", "--limit", "5")
    rows = json.loads(done.stdout)
    assert [(r["from"], r["text"], r["complete"]) for r in rows] == [
        ("+447700900402", "<b>second</b>", True),
        ("+447700900401", "first", True),
    ]
    assert rows[0]["received_at"].endswith("Z")


def test_db_upgrade_reports_the_revision(tmp_path: Path, db_url: str) -> None:
    done = smsgw("db", "upgrade", "--config", config_file(tmp_path, db_url))
    head = sorted(p.name[:4] for p in (ROOT / "gateway/migrations/versions").glob("0*.py"))[-1]
    assert done.returncode == 0 and done.stdout.strip() == f"database at revision {head}"


def test_bad_usage_exits_2() -> None:
    assert smsgw("send", "--to", "x").returncode == 2


def test_modem_probe_identifies_the_emulated_modem() -> None:
    from hardware.emulator import Emulator

    emulator = Emulator(imei="356938035643809")
    device = emulator.start()
    try:
        done = smsgw("modem", "probe", device, "--json")
    finally:
        emulator.stop()
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["imei"] == "356938035643809"
    assert (info["state"], info["sim"], info["registration"]) == ("ready", "ready", "home")
    assert info["operator"] and info["bars"] > 0 and info["dbm"] < 0


def test_modem_probe_reports_a_sim_that_wants_a_pin() -> None:
    from hardware.emulator import Emulator

    emulator = Emulator(pin="4821")
    device = emulator.start()
    try:
        done = smsgw("modem", "probe", device, "--json")
    finally:
        emulator.stop()
    assert done.returncode == 1
    info = json.loads(done.stdout)
    assert info["state"] == "pin-required" and info["sim"] == "pin-required"


def test_modem_list_answers_in_json_even_with_no_modem() -> None:
    done = smsgw("modem", "list", "--json")
    assert done.returncode == 0, done.stderr
    ports = json.loads(done.stdout)
    assert isinstance(ports, list)
    assert all({"device", "tty", "match", "usb_id"} <= set(p) for p in ports)


def test_status_says_who_is_on_duty_and_where_a_gap_sends_sightings(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = config_file(tmp_path, db_url)
    Path(config).write_text(
        Path(config).read_text() + '\n[rota]\nfallback_number = "+447700900999"\n'
    )
    gap = smsgw("status", "--config", config)
    assert gap.returncode == 0
    assert "on duty: nobody (a gap in the rota); sightings go to +447700900999" in gap.stdout
    rota = Rota(engine)
    officer = rota.add_operator("PC Wright", "+447700900601")
    rota.add_shift(officer.id, utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=7))
    assert "on duty: PC Wright (primary)" in smsgw("status", "--config", config).stdout
    duty = json.loads(smsgw("status", "--json", "--config", config).stdout)["on_duty"]
    assert duty == {
        "primary": {"name": "PC Wright", "phone": "+447700900601"},
        "backup": None,
        "fallback": "+447700900999",
    }


def test_alerts_shows_a_finished_alert_its_send_at_and_opted_out_recipients_apart(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    """Through a daemon on the emulator, with delivery reports: an alert whose messages
    were all delivered is finished, not "sending" for good; a STOP that came while it was
    queued is counted as opted out, not failed, and `alerts resend` leaves it alone."""
    subs = Subscribers(engine)
    subs.add_list("Docking farms", "DOCKING")
    for n in (1, 2, 3):
        subs.join(f"+44770090031{n}", "DOCKING", method="officer", by="pc")
    alerts = Alerts(engine, Outbox(engine, OutboxConfig(), "test"), subs)
    made = alerts.create("hare coursers at Docking", ["DOCKING"], by="op1")
    later = alerts.create("lamping tonight", ["DOCKING"], by="op1", send_at=utcnow() + HOUR)
    subs.set_stopped("+447700900312", True)  # STOP arrives while the alert is queued
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "m1", "driver": "emulator", "log": str(tmp_path / "m1.log")}],
            "outbox": {"poll_interval": 0.05},
        }
    )
    daemon = Daemon(cfg, engine=engine)
    daemon.start()
    try:
        wait_for(lambda: alerts.progress(made.ref)["delivered"] == 2, 20, "two delivered")
    finally:
        daemon.stop()
    config = config_file(tmp_path, db_url)
    listed = {a["ref"]: a for a in json.loads(smsgw("alerts", "--json", "--config", config).stdout)}
    done = listed[made.ref]
    assert done["status"] == "sent" and done["send_at"] is None
    assert (done["progress"]["delivered"], done["progress"]["failed"]) == (2, 0)
    assert done["progress"]["opted_out"] == 1
    scheduled = listed[later.ref]
    assert scheduled["status"] == "scheduled"
    assert scheduled["send_at"] == later.send_at.isoformat() + "Z"  # type: ignore[union-attr]
    lines = smsgw("alerts", "--config", config).stdout.splitlines()
    [line] = [x for x in lines if x.startswith(made.ref)]
    assert " sent " in line and "opted_out 1" in line and "sending" not in line
    resent = smsgw("alerts", "resend", made.ref, "--config", config)
    assert resent.returncode == 0 and "0 failed queued again" in resent.stdout
    assert alerts.progress(made.ref)["queued"] == 0
