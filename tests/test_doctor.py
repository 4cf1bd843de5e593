"""`smsgw doctor` as someone looking after a gateway runs it: a real process against a real
SQLite file and the emulated modem on a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import serial
from alembic import command
from procs import SMSGW, start_daemon, stop, wait_for, write_config
from sqlalchemy import Engine, update

from gateway.core import migrate
from gateway.core.config import Config, DatabaseConfig, ModemConfig, WebConfig
from gateway.core.db import make_engine, utcnow
from gateway.core.models import ModemStatus
from gateway.doctor.checks import clock_check, console_check, disk_check, ntp_synchronised
from gateway.doctor.modem import checks
from gateway.doctor.reading import network_check, signal_check
from gateway.modems import status as modem_status
from hardware.emulator import Emulator

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A SQLite file whatever `--db` says: the file is what these checks are about."""
    return f"sqlite:///{tmp_path / 'smsgw.db'}"


@pytest.fixture
def synced_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose `timedatectl` says the clock is synchronised, so the outcome
    does not depend on the machine running the tests."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "timedatectl"
    fake.write_text("#!/bin/sh\necho yes\n")
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


NUMBERS = (
    'admin_number = "07700 900901"\nnumber = "07700 900900"\n\n'
    '[rota]\nfallback_number = "+447700900999"\nadmin_number = "+447700900998"\n\n'
)


def config_for(
    tmp_path: Path, db_url: str, port: str, pin: str = "", numbers: str = NUMBERS
) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[gateway]\nnode = "test"\n{numbers}\n'
        f'[web]\nsecret_key = "{"k" * 64}"\n\n'
        f'[[modem]]\nname = "m1"\ndriver = "at"\nport = "{port}"\npin = "{pin}"\n'
    )
    return path


def doctor(config: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SMSGW, "doctor", "--config", str(config), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def lines_by_name(stdout: str) -> dict[str, str]:
    """`ok    modem m1 SIM: ready` -> {"modem m1 SIM": "ok    modem m1 SIM: ready"}"""
    return {line[6:].split(": ", 1)[0]: line for line in stdout.splitlines()}


def test_a_healthy_gateway_passes_every_check(
    tmp_path: Path, db_url: str, engine: Engine, emulator: Emulator, synced_path: dict[str, str]
) -> None:
    done = doctor(config_for(tmp_path, db_url, emulator.device), synced_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = lines_by_name(done.stdout)
    assert list(lines) == [
        "config",
        "console",
        "admin number",
        "gateway number",
        "desk number",
        "rota admin number",
        "database",
        "database schema",
        "database file",
        "kept messages",
        "modem m1",
        "modem m1 SIM",
        "modem m1 network",
        "modem m1 signal",
        "modem m1 service centre",
        "disk",
        "clock",
    ]
    assert all(line.startswith("ok    ") for line in lines.values()), done.stdout
    assert "SMSGW-EMU" in lines["modem m1"]
    assert lines["modem m1 network"].endswith("registered (home) on EE")
    assert lines["modem m1 signal"].endswith("-67 dBm, 4 of 5 bars")
    assert lines["clock"].endswith("synchronised (timedatectl)")
    assert lines["admin number"].endswith("gateway.admin_number +447700900901")  # E.164


def test_empty_numbers_warn_saying_what_goes_unreported(
    tmp_path: Path, db_url: str, engine: Engine, emulator: Emulator, synced_path: dict[str, str]
) -> None:
    config = config_for(tmp_path, db_url, emulator.device, numbers="")
    done = doctor(config, synced_path, "--json")
    assert done.returncode == 0, done.stdout + done.stderr  # a warning does not fail
    found = {c["name"]: c for c in json.loads(done.stdout)}
    desk = found["desk number"]
    assert desk["level"] == "warn"
    assert "rota.fallback_number is empty" in desk["detail"]
    assert "a sighting during a gap in the rota" in desk["detail"]
    assert desk["detail"].endswith("reaches nobody")
    assert f"set rota.fallback_number in {config}" in desk["advice"]
    assert "modem is rested" in found["admin number"]["detail"]
    assert "smsgw qr" in found["gateway number"]["detail"]
    assert "before a gap in the rota" in found["rota admin number"]["detail"]


def test_a_number_that_cannot_be_one_exits_2_naming_its_key(
    tmp_path: Path, db_url: str, synced_path: dict[str, str]
) -> None:
    numbers = '\n[rota]\nfallback_number = "999"\n'
    done = doctor(config_for(tmp_path, db_url, "/dev/null", numbers=numbers), synced_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "rota.fallback_number '999' is not a possible phone number" in done.stderr


def test_an_empty_secret_key_warns_that_sessions_end_at_each_restart() -> None:
    found = console_check(Config(path="/etc/smsgw/config.toml"))
    assert (found.level, found.ok) == ("warn", True)
    assert "web.secret_key is empty" in found.line() and "token_hex(32)" in found.advice
    kept = console_check(Config(web=WebConfig(secret_key="k" * 32)))
    assert kept.level == "ok"


def test_a_sim_asking_for_a_pin_says_to_set_modem_pin_in_the_config(
    tmp_path: Path, db_url: str, engine: Engine, synced_path: dict[str, str]
) -> None:
    with Emulator(pin="4821") as emu:
        config = config_for(tmp_path, db_url, emu.device)
        done = doctor(config, synced_path, "--json")
    assert done.returncode == 1
    found = {c["name"]: c for c in json.loads(done.stdout)}
    sim = found["modem m1 SIM"]
    assert (sim["ok"], sim["level"], sim["detail"]) == (False, "fail", "SIM asks for a PIN")
    assert sim["advice"] == f"set modem.pin in {config}"
    assert "modem m1 network" not in found  # what follows from the SIM is not piled on


def test_a_refused_pin_is_reported_and_not_offered_again_until_the_config_changes(
    tmp_path: Path, db_url: str, engine: Engine, synced_path: dict[str, str]
) -> None:
    with Emulator(pin="4821") as emu:
        config = config_for(tmp_path, db_url, emu.device, pin="1111")
        first = doctor(config, synced_path)
        assert emu.context.sim.attempts_left == 2
        again = doctor(config, synced_path)
        assert emu.context.sim.attempts_left == 2  # the second run did not spend a try
    expected = (
        f"FAIL  modem m1 SIM: the SIM refused the PIN: check modem.pin in {config}; "
        "after 3 wrong tries it needs the PUK"
    )
    assert first.returncode == 1 and expected in first.stdout.splitlines()
    line = lines_by_name(again.stdout)["modem m1 SIM"]
    assert again.returncode == 1 and line.startswith("FAIL  modem m1 SIM: the SIM refused the PIN")
    assert "only once the config has changed" in line


def test_a_missing_device_asks_whether_the_dongle_is_plugged_in(
    tmp_path: Path, db_url: str, engine: Engine, synced_path: dict[str, str]
) -> None:
    port = tmp_path / "gsm-modem0"
    done = doctor(config_for(tmp_path, db_url, str(port)), synced_path)
    assert done.returncode == 1
    assert lines_by_name(done.stdout)["modem m1"] == (
        f"FAIL  modem m1: no device at {port}: is the dongle plugged in? see `smsgw modem list`"
    )


def test_a_port_held_by_the_running_gateway_shows_the_health_it_recorded(
    tmp_path: Path, db_url: str, engine: Engine, emulator: Emulator, synced_path: dict[str, str]
) -> None:
    config = write_config(tmp_path, db_url, Path(emulator.device))
    daemon = start_daemon(config, tmp_path / "daemon.log")
    try:
        wait_for(lambda: _state(engine) == "ready", 20, "the daemon to record m1 ready")
        done = doctor(config, synced_path)
    finally:
        stop(daemon)
    assert done.returncode == 0, done.stdout
    lines = lines_by_name(done.stdout)
    assert "is in use by the running gateway, which reported it ready" in lines["modem m1"]
    assert lines["modem m1 SIM"] == "ok    modem m1 SIM: ready"
    assert lines["modem m1 signal"] == "ok    modem m1 signal: -67 dBm, 4 of 5 bars"


def test_a_held_port_with_an_old_record_says_to_check_the_daemon(
    tmp_path: Path, db_url: str, engine: Engine, emulator: Emulator, synced_path: dict[str, str]
) -> None:
    config = config_for(tmp_path, db_url, emulator.device)
    with serial.serial_for_url(emulator.device, exclusive=True):  # what the daemon does
        nobody = lines_by_name(doctor(config, synced_path).stdout)["modem m1"]
        modem_status.record(engine, "m1", "test", state="ready", sim="ready", rssi=23)
        with engine.begin() as conn:
            conn.execute(update(ModemStatus).values(updated_at=utcnow() - timedelta(minutes=20)))
        stale = doctor(config, synced_path)
    assert nobody.startswith("FAIL  modem m1: ") and "in use by another program" in nobody
    assert stale.returncode == 1
    assert lines_by_name(stale.stdout)["modem m1"] == (
        f"FAIL  modem m1: {emulator.device} is in use, but the gateway's last report of it is "
        "20 min old: check the daemon: `systemctl status smsgw` and `journalctl -u smsgw -e`"
    )


def test_a_database_behind_the_code_says_run_db_upgrade(
    tmp_path: Path, db_url: str, synced_path: dict[str, str]
) -> None:
    old = make_engine(db_url)
    command.upgrade(migrate.alembic_config(old), "0007")
    old.dispose()
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    done = doctor(config, synced_path)
    assert done.returncode == 1
    head = migrate.head(make_engine(db_url))
    assert lines_by_name(done.stdout)["database schema"] == (
        f"FAIL  database schema: at 0007, not the newest ({head}): "
        f"run `smsgw db upgrade --config {config}`"
    )


def test_a_bad_config_exits_2_naming_the_key_and_the_file(
    tmp_path: Path, synced_path: dict[str, str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[modem]]\nname = "m1"\nport = "/dev/gsm-modem0"\nbaud = 9600\n')
    done = doctor(config, synced_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"smsgw: {config}: unknown key modem[0].baud\n"


def test_an_emulated_modem_is_not_started_by_doctor() -> None:
    [check] = checks(Config(), ModemConfig(name="demo", driver="emulator"), None)
    assert check.line() == "ok    modem demo: emulated: the gateway runs it in its own process"


def test_a_weak_signal_and_a_refused_registration_say_what_to_do() -> None:
    weak = signal_check("modem m1 signal", 3)  # -107 dBm
    assert not weak.ok and weak.detail == "too weak (-107 dBm, 1 of 5 bars)"
    assert "USB extension lead" in weak.advice
    assert signal_check("modem m1 signal", 4).ok  # -105 dBm: weak, but texts go
    assert not signal_check("modem m1 signal", None).ok
    denied = network_check("modem m1 network", "denied", "")
    assert not denied.ok and "barred" in denied.advice
    assert not network_check("modem m1 network", "searching", "").ok
    assert network_check("modem m1 network", "roaming", "Vodafone").ok


def test_the_clock_fails_in_the_past_or_unsynchronised_and_warns_when_nobody_can_tell() -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    past = clock_check(LONDON, datetime(1970, 1, 1, tzinfo=UTC), lambda: (True, "timedatectl"))
    assert not past.ok and "set-ntp true" in past.advice
    unsynced = clock_check(LONDON, now, lambda: (False, "timedatectl"))
    assert not unsynced.ok and unsynced.detail.endswith("not synchronised (timedatectl)")
    unknown = clock_check(LONDON, now, lambda: (None, "no timedatectl"))
    assert (unknown.level, unknown.ok) == ("warn", True)
    assert unknown.line().startswith("warn  clock: 2026-03-02 09:30:00 GMT; cannot tell")


def test_synchronisation_is_read_from_timedatectl_then_from_timesyncd(tmp_path: Path) -> None:
    answer = tmp_path / "timedatectl"
    answer.write_text("#!/bin/sh\necho no\n")
    answer.chmod(0o755)
    flag = tmp_path / "synchronized"
    assert ntp_synchronised((str(answer),), flag) == (False, "timedatectl")
    broken = (str(tmp_path / "no-such-program"),)
    assert ntp_synchronised(broken, flag)[0] is None
    flag.touch()
    assert ntp_synchronised(broken, flag) == (True, str(flag))


def test_a_disk_below_the_limit_fails(tmp_path: Path) -> None:
    config = Config(database=DatabaseConfig(url=f"sqlite:///{tmp_path / 'db' / 'smsgw.db'}"))
    assert disk_check(config, min_free=0, min_share=0).ok
    full = disk_check(config, min_free=2**62)
    assert not full.ok and full.detail.startswith("only ") and str(tmp_path) in full.detail
    assert "journalctl --vacuum-size" in full.advice


def _state(engine: Engine) -> str:
    return next((m.state for m in modem_status.all_modems(engine) if m.name == "m1"), "")
