"""The append-only audit log: who did what, and when."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select

from gateway.db import utcnow
from gateway.models import AuditEntry

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
        conn.execute(
            insert(AuditEntry).values(at=utcnow(), actor=actor, action=action, detail=detail)
        )
    log.info("audit: %s %s %s", actor, action, detail)


def entries(engine: Engine, *, actor: str = "", action: str = "", limit: int = 200) -> list[Entry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where(AuditEntry.action == action)
    with engine.connect() as conn:
        return [Entry(r.id, r.at, r.actor, r.action, r.detail) for r in conn.execute(q)]
