"""`smsgw backup`: a consistent copy of the SQLite database, made while the gateway runs.

SQLite's online backup copies the database page by page. Between two steps another process
may commit, and then the backup starts again from the first page: with a daemon committing
every message, a backup in steps would never finish. So the copy holds one read snapshot
for its whole length; in WAL mode a reader never blocks a writer, so the daemon keeps
committing meanwhile and the copy is the database as it was at one instant. The steps and
the pause between them are still worth having: they leave the SD card's bandwidth to the
daemon's own writes.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from gateway.core.db import SQLITE_BUSY_TIMEOUT_MS, sqlite_path
from gateway.core.errors import GatewayError
from gateway.core.models import Message, Sighting, Subscriber

STEP_PAGES = 256  # pages copied per step: 1 MiB with SQLite's 4 KiB pages
STEP_PAUSE = 0.005  # seconds between steps
COUNTED = {"messages": Message, "subscribers": Subscriber, "sightings": Sighting}


class BackupError(GatewayError):
    """The copy was not made; the message says why. Nothing is left behind."""


class WrongTool(BackupError):
    """The database is not a SQLite file: the server's own dump tool is the way."""


@dataclass(frozen=True)
class Backup:
    path: str
    size: int  # bytes
    counts: dict[str, int]  # rows in a few tables, to recognise the copy by


def backup(url: str, target: str, *, force: bool = False) -> Backup:
    """Copy the database at `url` to the file `target`, which appears only when complete
    and checked (a temporary file beside it is renamed)."""
    source = sqlite_path(url)
    if source is None:
        raise WrongTool(
            f"the database is not SQLite: back it up with pg_dump: {pg_dump(url, target)}"
        )
    if not os.path.exists(source):
        raise BackupError(f"no database at {source}")
    dest = os.path.abspath(target)
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        raise BackupError(f"{directory}: no such directory")
    if os.path.exists(dest):
        if os.path.samefile(dest, source):
            raise BackupError(f"{target} is the database itself")
        if not force:
            raise BackupError(f"{target} exists: use --force to replace it")
    try:
        return _make(source, dest, force)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot back up {source} to {target}: {exc}") from exc


def _make(source: str, dest: str, force: bool) -> Backup:
    directory = os.path.dirname(dest)
    fd, tmp = tempfile.mkstemp(prefix=".smsgw-backup-", suffix=".db", dir=directory)
    os.close(fd)  # mkstemp's 0600 stays: the copy holds phone numbers
    try:
        copy(source, tmp)
        problems = integrity(tmp)
        if problems:
            raise BackupError(
                f"the copy fails SQLite's integrity check ({problems[0]}): the database "
                "itself may be damaged; keep your older backups"
            )
        counts = count_rows(tmp)
        if not force and os.path.exists(dest):
            raise BackupError(f"{dest} appeared meanwhile: use --force to replace it")
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)  # the rename must survive a power cut too
    return Backup(dest, os.path.getsize(dest), counts)


def copy(source: str, dest: str) -> None:
    """Copy `source` into the empty file `dest` from one snapshot, in steps; `dest` ends up
    one self-contained file (rollback journal, not WAL) and on disk."""
    uri = Path(source).as_uri() + "?mode=rw"  # never create a database that is not there
    src = sqlite3.connect(uri, uri=True, isolation_level=None)
    dst = sqlite3.connect(dest, isolation_level=None)
    try:
        src.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts
        src.backup(dst, pages=STEP_PAGES, progress=_pause)
        src.execute("ROLLBACK")
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        src.close()
        dst.close()
    with open(dest, "rb+") as fh:
        os.fsync(fh.fileno())


def integrity(path: str) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong; empty when the file is sound."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def count_rows(path: str) -> dict[str, int]:
    """Rows in the tables people know, those this copy has (an old schema may lack some)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            word: int(conn.execute(f"SELECT count(*) FROM {model.__tablename__}").fetchone()[0])
            for word, model in COUNTED.items()
            if model.__tablename__ in tables
        }


def pg_dump(url: str, target: str) -> str:
    """The pg_dump command line for this database (the password stays out of it: pg_dump
    reads ~/.pgpass or PGPASSWORD)."""
    given = make_url(url)
    conninfo = URL.create(
        "postgresql",
        username=given.username,
        host=given.host,
        port=given.port,
        database=given.database,
        query=given.query,
    )
    return shlex.join(
        [
            "pg_dump",
            "--format=custom",
            f"--file={target}",
            f"--dbname={conninfo.render_as_string(hide_password=False)}",
        ]
    )


def _pause(status: int, remaining: int, total: int) -> None:
    if remaining:
        time.sleep(STEP_PAUSE)


def _sync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
