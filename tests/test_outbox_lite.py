"""`smsgw send`'s own door into the outbox (gateway/outbox/lite.py): the standard
library's sqlite3 instead of SQLAlchemy. It must write exactly the row the full path
writes, and step aside whenever the database is not a migrated SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from gateway.core import migrate
from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine
from gateway.outbox import lite
from gateway.outbox.queue import Outbox

TO = "+447700900321"
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'smsgw.db'}"


def raw_row(path: Path, msg_id: int) -> dict[str, object]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM messages WHERE id = ?", (msg_id,)).fetchone()
        return dict(row)
    finally:
        conn.close()


def test_writes_the_row_the_full_path_writes(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    full_id = Outbox(engine, OutboxConfig(), "node").enqueue(TO, "Gates shut", "urgent")
    lite_id = lite.enqueue(url, TO, "Gates shut", "urgent")
    assert lite_id == full_id + 1
    full = raw_row(tmp_path / "smsgw.db", full_id)
    mine = raw_row(tmp_path / "smsgw.db", lite_id)
    stamps = ("created_at", "next_attempt_at")
    for column in ("id", *stamps):
        full.pop(column), mine.pop(column)
    assert mine == full
    stored = raw_row(tmp_path / "smsgw.db", lite_id)
    for column in stamps:  # stored as SQLAlchemy stores them, so they sort alike
        assert isinstance(stored[column], str)
        datetime.strptime(str(stored[column]), STAMP)
    # ... and the daemon takes it like any other message, after the one queued before it
    outbox = Outbox(engine, OutboxConfig(), "node")
    first, second = outbox.claim("m1"), outbox.claim("m1")
    assert first is not None and second is not None
    assert (first.id, second.id) == (full_id, lite_id)
    assert (second.to, second.text) == (TO, "Gates shut")
    engine.dispose()


def test_steps_aside_for_a_database_not_yet_made(tmp_path: Path) -> None:
    assert lite.enqueue(sqlite_url(tmp_path), TO, "Gates shut") is None
    assert not (tmp_path / "smsgw.db").exists()


def test_steps_aside_for_a_schema_to_upgrade_and_writes_nothing(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0011'"))
    assert lite.enqueue(url, TO, "Gates shut") is None
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM messages")) == 0
    engine.dispose()


def test_steps_aside_for_postgresql_and_urls_with_options(tmp_path: Path) -> None:
    for url in (
        "postgresql+psycopg://smsgw@localhost/smsgw",
        f"sqlite:///{tmp_path / 'smsgw.db'}?timeout=5",
        "sqlite:///:memory:",
        "sqlite://",
    ):
        assert lite.enqueue(url, TO, "Gates shut") is None, url


def test_smsgw_send_on_sqlite_imports_no_sqlalchemy(tmp_path: Path) -> None:
    """What makes it quick: SQLAlchemy is most of a one-shot command's start."""
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n')
    probe = (
        "import sys\nfrom gateway.cli import main\ncode = main(sys.argv[1:])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')[:3],"
        " file=sys.stderr)"
    )
    args = ["send", "--config", str(config), "--to", "07700 900321", "--text", "Gates shut"]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60
    )
    assert done.stderr.strip().splitlines()[-1] == "0 []"
    msg_id = int(done.stdout.strip())
    with engine.connect() as conn:
        row = conn.execute(text('SELECT "to", text FROM messages WHERE id = :i'), {"i": msg_id})
        assert tuple(row.one()) == (TO, "Gates shut")
    engine.dispose()
