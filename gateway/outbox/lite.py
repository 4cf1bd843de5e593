"""One message into the outbox over the standard library's sqlite3: `smsgw send`.

Scripts call `smsgw send` once per message, and SQLAlchemy alone takes about a quarter of
a second to import, more than the rest of the command (on a Pi, several times that). On a
SQLite database already at the newest schema this writes the row `Outbox.enqueue` writes
(tests/test_outbox_lite.py compares the two), committed with the same settings. Anything
else (PostgreSQL, a database to create or upgrade, a URL with options) gets None, and the
caller takes the full path. The daemon needs no wake-up: on SQLite its workers poll.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from datetime import datetime

from gateway.core import migrate, sqlite
from gateway.core.clock import utcnow
from gateway.core.privacy import mask
from gateway.outbox.priorities import priority_value

log = logging.getLogger("gateway.outbox.queue")  # the same lines as the full path

# (number, text) or, for a broadcast, (number, text, list id): the list whose opt-outs
# are checked again just before the message goes.
Item = tuple[str, str] | tuple[str, str, int | None]

_INSERT = (
    'INSERT INTO messages ("to", text, list_id, kind, alert_id, priority, status, attempts,'
    " parts, created_at, next_attempt_at, channel) VALUES (:to, :text, :list_id, :kind,"
    " :alert_id, :priority, :status, :attempts, :parts, :created_at, :next_attempt_at,"
    " :channel)"
)


def queued_row(
    item: Item,
    level: int,
    kind: str,
    alert_id: int | None,
    now: datetime,
    channel: str = "sim",
) -> dict[str, object]:
    """A new message's columns, whichever path writes it. `channel`: "sim" (a modem), a
    hosted service's name, or "email"."""
    return {
        "to": item[0],
        "text": item[1],
        "list_id": item[2] if len(item) > 2 else None,
        "kind": kind,
        "alert_id": alert_id,
        "priority": level,
        "status": "queued",
        "attempts": 0,
        "parts": 1,
        "created_at": now,
        "next_attempt_at": now,
        "channel": channel,
    }


def enqueue(url: str, to: str, text: str, priority: str = "normal") -> int | None:
    """The new message's id, or None when this database needs the full path."""
    path = sqlite.plain_file(url)
    if path is None:
        return None
    level = priority_value(priority)
    if not os.path.exists(path):  # the full path creates and migrates it
        return None
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        sqlite.configure(conn)
        conn.execute("BEGIN IMMEDIATE")
        if not _current(conn):
            conn.execute("ROLLBACK")
            return None
        row = queued_row((to, text), level, "direct", None, utcnow())
        cur = conn.execute(_INSERT, {k: _stored(v) for k, v in row.items()})
        conn.execute("COMMIT")
    finally:
        conn.close()
    msg_id = int(cur.lastrowid or 0)
    log.info("message %d queued (%s, to %s)", msg_id, priority, mask(to))
    return msg_id


def _current(conn: sqlite3.Connection) -> bool:
    try:
        found = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.OperationalError:  # no such table: a database never migrated
        return False
    return found == [migrate.HEAD]


def _stored(value: object) -> object:
    """A timestamp as SQLAlchemy stores one in SQLite, microseconds always written, so
    the two paths' rows compare and sort alike."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
