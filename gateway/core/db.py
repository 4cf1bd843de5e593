"""The database connection: the meeting point of daemon and console.

SQLite runs in WAL mode so the console reads while the daemon writes, with a busy
timeout so two writers wait for each other instead of failing. Queries stay portable to
PostgreSQL, the scale-out path.

Every commit is on disk before it returns (SQLite `synchronous=FULL`: the WAL is fsynced
at each commit; PostgreSQL's default `synchronous_commit=on`). The gateway deletes a
text from the SIM, and tells an operator "queued", only after a commit: with NORMAL a
power cut could take back commits already acted on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gateway.core import sqlite
from gateway.core.clock import utcnow as utcnow  # where most callers import it from

SQLITE_BUSY_TIMEOUT_MS = sqlite.BUSY_TIMEOUT_MS


def temporary_ref() -> str:
    """A reference for a row until its id gives it the real one ("S1042"): unique, and
    short enough for the 16-character column (PostgreSQL enforces lengths; SQLite not)."""
    return "~" + secrets.token_hex(7)


def make_engine(url: str, *, synchronous: str = "FULL") -> Engine:
    """`synchronous` is for SQLite, and for benchmarks that measure what FULL costs;
    the gateway always runs with FULL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    def configure(dbapi_conn: Any, _record: Any) -> None:
        sqlite.configure(dbapi_conn, synchronous)

    event.listen(engine, "connect", configure)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return os.path.abspath(parsed.database or "")
    return None
