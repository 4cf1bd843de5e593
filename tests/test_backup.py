"""`smsgw backup` while the gateway runs: real processes, a real SQLite file, a real pty."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from procs import SMSGW, handed_over, start_daemon, stop, wait_for, write_config
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gateway.core import backup as backup_mod
from gateway.core import migrate
from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine
from gateway.core.models import Message
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import Subscribers
from hardware.emulator import Emulator


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A SQLite file whatever `--db` says: the file is what these checks are about."""
    return f"sqlite:///{tmp_path / 'smsgw.db'}"


def smsgw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SMSGW, *args], capture_output=True, text=True, timeout=60)


def test_a_backup_made_while_the_daemon_sends_is_whole_and_opens_with_the_models(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    Subscribers(engine).add_list("Farm Watch", "FARM")
    for n in range(3):
        Subscribers(engine).join(f"+44770090010{n}", "Farm Watch")
    outbox = Outbox(engine, OutboxConfig(), node="test")
    outbox.enqueue_many((f"+4477009002{i % 50:02d}", f"backup test {i}") for i in range(300))
    target = tmp_path / "backups" / "smsgw-2026-03-02.db"
    target.parent.mkdir()
    with Emulator(send_latency=0.02) as emu:
        daemon = start_daemon(write_config(tmp_path, db_url, Path(emu.device)), tmp_path / "d.log")
        try:
            wait_for(lambda: handed_over(outbox) >= 20, 20, "the daemon to be sending")
            done = smsgw("backup", "--config", str(tmp_path / "config.toml"), str(target))
            left = outbox.counts()["queued"]
        finally:
            stop(daemon)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{target}: ")
    assert done.stdout.rstrip().endswith("integrity ok, 300 messages, 3 subscribers, 0 sightings")
    assert left > 0, "the daemon finished before the backup: not a backup mid-way"
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temp, no -wal
    with closing(sqlite3.connect(target)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy = make_engine(f"sqlite:///{target}")
    try:
        assert migrate.current(copy) == migrate.head(copy)
        with Session(copy) as session:
            assert session.scalar(select(func.count()).select_from(Message)) == 300
        counts = Outbox(copy, OutboxConfig(), node="restore").counts()
        assert sum(counts.values()) == 300 and counts["queued"] > 0
        assert counts["sent"] + counts["delivered"] >= 20
    finally:
        copy.dispose()


def test_an_existing_file_is_replaced_only_with_force(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')
    target = tmp_path / "keep.db"
    target.write_text("yesterday's backup")
    refused = smsgw("backup", "--config", str(config), str(target))
    assert refused.returncode == 1
    assert refused.stderr == f"smsgw: {target} exists: use --force to replace it\n"
    assert target.read_text() == "yesterday's backup"
    forced = smsgw("backup", "--config", str(config), str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes().startswith(b"SQLite format 3\x00")


def test_a_postgresql_database_is_sent_to_pg_dump(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    url = "postgresql+psycopg://smsgw:s3cret@db.example:5433/alerts"
    config.write_text(f'[database]\nurl = "{url}"\n')
    done = smsgw("backup", "--config", str(config), "/var/backups/smsgw/alerts.dump")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "s3cret" not in done.stderr
    assert done.stderr.rstrip().endswith(
        "back it up with pg_dump: pg_dump --format=custom --file=/var/backups/smsgw/alerts.dump "
        "--dbname=postgresql://smsgw@db.example:5433/alerts"
    )


def test_the_database_itself_and_a_missing_directory_are_refused(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    database = str(tmp_path / "smsgw.db")
    with pytest.raises(backup_mod.BackupError, match="is the database itself"):
        backup_mod.backup(db_url, database, force=True)
    with pytest.raises(backup_mod.BackupError, match="no such directory"):
        backup_mod.backup(db_url, str(tmp_path / "nowhere" / "copy.db"))
    assert backup_mod.integrity(database) == []


def test_a_copy_in_many_steps_finishes_while_another_process_keeps_committing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two steps of SQLite's backup a commit elsewhere restarts it from page one;
    without the snapshot held across steps this copy would never end."""
    source = tmp_path / "busy.db"
    with closing(sqlite3.connect(source, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB)")
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t (x) VALUES (randomblob(500))", [()] * 2000)
        conn.execute("COMMIT")
    monkeypatch.setattr(backup_mod, "STEP_PAGES", 8)
    stop_writing, writing = threading.Event(), threading.Event()

    def writer() -> None:
        with closing(sqlite3.connect(source, isolation_level=None, timeout=10)) as conn:
            while not stop_writing.is_set():
                conn.execute("INSERT INTO t (x) VALUES (randomblob(500))")
                writing.set()
                time.sleep(0.001)  # paced: commits land between the copy's steps, never starve it

    thread = threading.Thread(target=writer)
    thread.start()
    copier = threading.Thread(target=backup_mod.copy, args=(str(source), str(tmp_path / "c.db")))
    try:
        assert writing.wait(10), "the writer never committed"
        copier.daemon = True  # should it hang, it must not hold the test run
        copier.start()
        copier.join(timeout=20)
    finally:
        stop_writing.set()
        thread.join()
    assert not copier.is_alive(), "the copy never finished"
    assert backup_mod.integrity(str(tmp_path / "c.db")) == []
    with (
        closing(sqlite3.connect(tmp_path / "c.db")) as copy,
        closing(sqlite3.connect(source)) as now,
    ):
        copied = copy.execute("SELECT count(*) FROM t").fetchone()[0]
        assert 2000 <= copied < now.execute("SELECT count(*) FROM t").fetchone()[0]
