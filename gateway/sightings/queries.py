"""What the console reads about sightings beyond the reports themselves: how one is being
handled, who has done what to it, and which vehicles are hot right now.

Read-only; the changes themselves stay in gateway.sightings.desk, beside the escalation they
affect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select

from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.models import AuditEntry, Operator, Sighting, SightingVehicle
from gateway.core.privacy import mask
from gateway.sightings.forwards import LEVELS
from gateway.sightings.info import SightingInfo

# What the audit log records about a sighting; each entry's detail starts with its ref.
HANDLING_ACTIONS = ("sighting-acknowledged", "sighting-closed", "sighting-relayed")


@dataclass(frozen=True)
class Handling:
    """Where a sighting stands: who was told last, when it climbs next, who took it."""

    escalation: str  # the level told last: primary, backup or fallback
    escalate_at: datetime | None  # None once taken or closed, and at the desk
    acknowledged_at: datetime | None
    acknowledged_by: str  # the operator's name after an SMS ACK; "" after the console's
    closed_at: datetime | None


@dataclass(frozen=True)
class HotVehicle:
    registration: str
    people: int  # distinct senders within the correlation window
    reports: int
    last_seen: datetime


def handling(engine: Engine, ref: str) -> Handling | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                Sighting.escalation,
                Sighting.escalate_at,
                Sighting.acknowledged_at,
                Operator.name,
                Sighting.closed_at,
            )
            .outerjoin(Operator, Operator.id == Sighting.acknowledged_by)
            .where(Sighting.ref == ref.upper())
        ).first()
    if row is None:
        return None
    level, escalate_at, acknowledged_at, name, closed_at = row
    return Handling(LEVELS[level], escalate_at, acknowledged_at, name or "", closed_at)


def history(engine: Engine, ref: str, filed_at: datetime) -> list[audit.Entry]:
    """Who acknowledged, closed or relayed it, oldest first. Only entries after the report
    was filed can be about it, so the audit log's time index does the work."""
    ref = ref.upper()
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry)
            .where(
                AuditEntry.at >= filed_at,
                AuditEntry.action.in_(HANDLING_ACTIONS),
                or_(AuditEntry.detail == ref, AuditEntry.detail.like(f"{ref} %")),
            )
            .order_by(AuditEntry.id)
        ).all()
    return [audit.Entry(r.id, r.at, r.actor, r.action, r.detail) for r in rows]


def hot_vehicles(
    engine: Engine, window: float, now: datetime | None = None, limit: int = 20
) -> list[HotVehicle]:
    """Registrations two or more people reported in the last `window` seconds, the most
    recently seen first."""
    since = (now or utcnow()) - timedelta(seconds=window)
    people = func.count(func.distinct(SightingVehicle.sender))
    last = func.max(SightingVehicle.seen_at)
    with engine.connect() as conn:
        rows = conn.execute(
            select(SightingVehicle.registration, people, func.count(), last)
            .where(SightingVehicle.seen_at >= since)
            .group_by(SightingVehicle.registration)
            .having(people >= 2)
            .order_by(last.desc())
            .limit(limit)
        ).all()
    return [HotVehicle(r[0], int(r[1]), int(r[2]), r[3]) for r in rows]


def as_json(s: SightingInfo, *, whole_numbers: bool = True) -> dict[str, Any]:
    """One sighting as `smsgw sightings --json` and the API give it (INTERFACE.md)."""
    return {
        "ref": s.ref,
        "from": s.sender if whole_numbers else mask(s.sender),
        "name": s.sender_name,
        "known_sender": s.known_sender,
        "text": s.text,
        "registrations": list(s.registrations),
        "place": s.place,
        "status": s.status,
        "hot": s.hot,
        "received_at": s.created_at.isoformat() + "Z",
        "parsed": s.parsed,
        # Where it was, read from its best location when filed; None when nothing placed it.
        "position": s.position.as_json() if s.position else None,
    }
