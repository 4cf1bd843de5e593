"""SQLite's settings for every connection, whoever opens it: SQLAlchemy's engine
(gateway/core/db.py) and the standard library's sqlite3 under `smsgw send`
(gateway/outbox/lite.py). Both must wait for the other writer and fsync every commit."""

from __future__ import annotations

from typing import Any

BUSY_TIMEOUT_MS = 10_000
SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
_SCHEMES = ("sqlite:///", "sqlite+pysqlite:///")


def configure(dbapi_conn: Any, synchronous: str = "FULL") -> None:
    """WAL so the console reads while the daemon writes; a busy timeout so two writers
    wait for each other; FULL so a commit survives a power cut (gateway/core/db.py)."""
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA synchronous={synchronous}")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def plain_file(url: str) -> str | None:
    """The file a plain SQLite URL names, read without SQLAlchemy; None for anything else
    (another database, memory, a URL with options), which the caller leaves to SQLAlchemy."""
    for scheme in _SCHEMES:
        if url.startswith(scheme):
            path = url[len(scheme) :]
            if path and path != ":memory:" and "?" not in path:
                return path
    return None
