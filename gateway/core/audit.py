"""The append-only audit log: who did what, and when.

An entry holds what was typed (a failed login's user name is whatever someone sent), so
every text form of it goes through `printable`: a user name with a newline must not
write a second, forged line into the log.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from gateway.core.db import utcnow
from gateway.core.models import AuditEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    detail: str


def record(engine: Engine, actor: str, action: str, detail: str = "") -> None:
    with engine.begin() as conn:
        record_in(conn, actor, action, detail)


def record_in(conn: Connection, actor: str, action: str, detail: str = "") -> None:
    """An entry written in the caller's transaction, with what it records: both or neither.
    Its log line is written at once, so a transaction rolled back later leaves a line
    with no entry (never an entry without a line)."""
    conn.execute(insert(AuditEntry).values(at=utcnow(), actor=actor, action=action, detail=detail))
    log.info("audit: %s %s %s", printable(actor), printable(action), printable(detail))


def printable(text: str) -> str:
    """`text` on one line: control characters, line separators and backslashes escaped
    (`\\n`, `\\x1b`, `\\u2028`, `\\\\`), so nobody can fake a line or colour a terminal."""
    return "".join(
        ch if ch.isprintable() and ch != "\\" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def entries(engine: Engine, *, actor: str = "", action: str = "", limit: int = 200) -> list[Entry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where(AuditEntry.action == action)
    with engine.connect() as conn:
        return [Entry(r.id, r.at, r.actor, r.action, r.detail) for r in conn.execute(q)]


def since(
    engine: Engine, moment: datetime, *, actions: Collection[str], detail_prefix: str
) -> list[Entry]:
    """Entries of these actions at or after `moment` whose detail starts with
    `detail_prefix`, newest first: what a rule that counts recorded events reads."""
    q = (
        select(AuditEntry)
        .where(
            AuditEntry.at >= moment,
            AuditEntry.action.in_(actions),
            AuditEntry.detail.startswith(detail_prefix, autoescape=True),
        )
        .order_by(AuditEntry.id.desc())
    )
    with engine.connect() as conn:
        return [Entry(r.id, r.at, r.actor, r.action, r.detail) for r in conn.execute(q)]
