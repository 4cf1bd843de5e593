"""Check-ins at patrol points: a visit recorded once per text, with the plates read from
its notes linked to farmers' sightings of the same vehicle.

Kept apart from gateway.rota.patrols (the points) so each module keeps one concern; the
Patrols service delegates `record_visit` and `visits` here. A text routed twice makes one
visit: the inbound id is unique, and a second insert finds the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Row, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.core.db import utcnow
from gateway.core.models import PatrolPoint, PatrolVisit, Sighting, SightingVehicle
from gateway.rota.patrols import PatrolError

LINK_DAYS = 7  # a plate seen by a farmer this long either side of a visit is linked to it


class UnknownPoint(PatrolError):
    """A check-in names no active patrol point: not a visit."""

    def __init__(self, point: str) -> None:
        super().__init__(f"no patrol point {point}", "unknown_point")
        self.point = point


@dataclass(frozen=True)
class VisitInfo:
    id: int
    code: str  # the point's code
    officer: str  # the name at the time
    phone: str
    at: datetime  # naive UTC
    notes: str
    registrations: tuple[str, ...]  # plates read from the notes
    sightings: tuple[str, ...]  # refs of sightings of the same plates within LINK_DAYS
    created: bool = True  # False when this text had already made the visit

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "officer": self.officer,
            "at": self.at.isoformat(timespec="seconds") + "Z",
            "notes": self.notes,
            "registrations": list(self.registrations),
            "sightings": list(self.sightings),
        }


_VISITS = select(
    PatrolVisit.id,
    PatrolPoint.code,
    PatrolVisit.officer,
    PatrolVisit.phone,
    PatrolVisit.at,
    PatrolVisit.notes,
    PatrolVisit.registrations,
).join(PatrolPoint, PatrolPoint.id == PatrolVisit.point_id)


def record_visit(
    engine: Engine,
    code: str,
    *,
    officer: str,
    phone: str,
    notes: str = "",
    registrations: Sequence[str] = (),
    operator_id: int | None = None,
    inbound_id: int | None = None,
    at: datetime | None = None,
) -> VisitInfo:
    """The visit, made now or found (same inbound_id); UnknownPoint if no such point.
    `registrations` are the plates the caller read from the notes (the sighting parser
    lives a layer above the rota)."""
    point_code = code.strip().upper()
    with engine.connect() as conn:
        point_id = conn.scalar(
            select(PatrolPoint.id).where(PatrolPoint.code == point_code, PatrolPoint.active)
        )
    if point_id is None:
        raise UnknownPoint(point_code)
    if inbound_id is not None:
        found = _by_inbound(engine, inbound_id)
        if found is not None:
            return found
    plates = list(dict.fromkeys(registrations))
    try:
        with engine.begin() as conn:
            made = conn.execute(
                insert(PatrolVisit)
                .returning(PatrolVisit.id)
                .values(
                    point_id=point_id,
                    operator_id=operator_id,
                    officer=officer[:100],
                    phone=phone,
                    at=at or utcnow(),
                    notes=notes,
                    inbound_id=inbound_id,
                    registrations=",".join(plates)[:200],
                )
            ).scalar_one()
    except IntegrityError:  # the same text routed at the same time elsewhere
        if inbound_id is None:
            raise
        found = _by_inbound(engine, inbound_id)
        if found is None:
            raise
        return found
    with engine.connect() as conn:
        rows = conn.execute(_VISITS.where(PatrolVisit.id == made))
        return _infos(engine, rows.all())[0]


def visits(
    engine: Engine, since: datetime | None = None, limit: int | None = None
) -> list[VisitInfo]:
    """Every visit since `since` (naive UTC; None: all), newest first; the newest `limit`
    only when given (each visit's linked sightings cost a query)."""
    query = _VISITS
    if since is not None:
        query = query.where(PatrolVisit.at >= since)
    query = query.order_by(PatrolVisit.at.desc(), PatrolVisit.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return _infos(engine, rows)


def _by_inbound(engine: Engine, inbound_id: int) -> VisitInfo | None:
    with engine.connect() as conn:
        rows = conn.execute(_VISITS.where(PatrolVisit.inbound_id == inbound_id)).all()
    infos = _infos(engine, rows, created=False)
    return infos[0] if infos else None


def _infos(
    engine: Engine,
    rows: Sequence[Row[int, str, str, str, datetime, str, str]],
    *,
    created: bool = True,
) -> list[VisitInfo]:
    return [
        VisitInfo(
            id=r.id,
            code=r.code,
            officer=r.officer,
            phone=r.phone,
            at=r.at,
            notes=r.notes,
            registrations=plates,
            sightings=linked(engine, plates, r.at),
            created=created,
        )
        for r in rows
        for plates in [tuple(p for p in r.registrations.split(",") if p)]
    ]


def linked(engine: Engine, plates: tuple[str, ...], at: datetime) -> tuple[str, ...]:
    """Refs of sightings naming any of `plates` within LINK_DAYS of `at`, oldest first."""
    if not plates:
        return ()
    window = timedelta(days=LINK_DAYS)
    with engine.connect() as conn:
        refs = conn.scalars(
            select(Sighting.ref)
            .join(SightingVehicle, SightingVehicle.sighting_id == Sighting.id)
            .where(
                SightingVehicle.registration.in_(plates),
                SightingVehicle.seen_at.between(at - window, at + window),
            )
            .group_by(Sighting.id, Sighting.ref)
            .order_by(Sighting.id)
        ).all()
    return tuple(refs)
