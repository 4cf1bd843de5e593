"""Where live sightings stand, read for the control room at a glance: who has each one
and which rung of the escalation it is on, and the short feed of open reports that every
console page polls to notice a new or escalated one without reloading.

Read-only, like queries.py; the changes stay in desk.py and forwards.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select

from gateway.core.models import AuditEntry, Operator, Sighting

# The escalation levels (forwards.LEVELS) as the control room says them.
STAGES = ("primary", "backup", "desk")
FEED_LIMIT = 200  # open reports in the feed; more than this at once is not a quiet night


@dataclass(frozen=True)
class Standing:
    """Who has a report and how far up it has climbed."""

    stage: str  # primary, backup or desk: who it was forwarded to last
    owner: str  # who took it (an officer by SMS, a user at the console); "" nobody yet
    escalate_at: datetime | None  # when it climbs next unless taken; None once taken


@dataclass(frozen=True)
class Open:
    """One open report in the feed: a new ref, or a known ref at a higher stage, is news."""

    ref: str
    stage: int  # 0 primary, 1 backup, 2 desk
    hot: bool


def stage_name(level: int) -> str:
    return STAGES[min(max(level, 0), len(STAGES) - 1)]


def standings(engine: Engine, ids: Sequence[int]) -> dict[int, Standing]:
    """By sighting id. The owner is the officer whose SMS ACK took it, else whoever the
    audit log says took it (a console user is not an operator, so only the log knows)."""
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Sighting.id,
                Sighting.ref,
                Sighting.status,
                Sighting.escalation,
                Sighting.escalate_at,
                Sighting.created_at,
                Operator.name,
            )
            .outerjoin(Operator, Operator.id == Sighting.acknowledged_by)
            .where(Sighting.id.in_(ids))
        ).all()
        taken = [r for r in rows if r.status != "open" and not r.name]
        takers = _takers(
            conn, [r.ref for r in taken], min((r.created_at for r in taken), default=None)
        )
    return {
        r.id: Standing(
            stage_name(r.escalation),
            r.name or takers.get(r.ref, "") if r.status != "open" else "",
            r.escalate_at if r.status == "open" else None,
        )
        for r in rows
    }


def _takers(conn: Connection, refs: list[str], since: datetime | None) -> dict[str, str]:
    """The actor of each ref's first "sighting-acknowledged" entry; the time index does
    the work, since no entry about a report can be older than the oldest report asked."""
    if not refs or since is None:
        return {}
    first = (
        select(AuditEntry.detail, func.min(AuditEntry.id).label("id"))
        .where(
            AuditEntry.at >= since,
            AuditEntry.action == "sighting-acknowledged",
            AuditEntry.detail.in_(refs),
        )
        .group_by(AuditEntry.detail)
        .subquery()
    )
    found = conn.execute(
        select(AuditEntry.detail, AuditEntry.actor).join(first, AuditEntry.id == first.c.id)
    ).all()
    return {detail: actor for detail, actor in found}


def open_feed(engine: Engine, limit: int = FEED_LIMIT) -> list[Open]:
    """The open reports, newest first, with the stage each has reached."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sighting.ref, Sighting.escalation, Sighting.hot)
            .where(Sighting.status == "open")
            .order_by(Sighting.id.desc())
            .limit(limit)
        ).all()
    return [Open(ref, int(level), bool(hot)) for ref, level, hot in rows]
