"""Visits against sightings per patrol point, for the reports page's chart: a point with
many sightings near it and few visits is where patrols are missing.

A sighting counts for every active point within NEAR_KM of its position; sightings with no
position count for none. Distances are worked out in Python (portable SQL only), over the
period's sightings, which an indexed time range bounds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from gateway.app.reports import Period
from gateway.core import geo
from gateway.core.models import PatrolPoint, PatrolVisit, Sighting

NEAR_KM = 2.0  # a lay-by serves the fields around it: about a mile and a quarter


@dataclass(frozen=True)
class PointCounts:
    code: str
    name: str
    visits: int
    sightings: int


def visits_and_sightings(
    engine: Engine, period: Period, near_km: float = NEAR_KM
) -> list[PointCounts]:
    """Every active point, in code order, with its visits and nearby sightings."""
    with engine.connect() as conn:
        points = conn.execute(
            select(PatrolPoint.id, PatrolPoint.code, PatrolPoint.name, PatrolPoint.lat,
                   PatrolPoint.lon)
            .where(PatrolPoint.active)
            .order_by(PatrolPoint.code)
        ).all()  # fmt: skip
        visits = dict(
            conn.execute(
                select(PatrolVisit.point_id, func.count())
                .where(PatrolVisit.at >= period.start, PatrolVisit.at < period.end)
                .group_by(PatrolVisit.point_id)
            ).all()
        )
        placed = conn.execute(
            select(Sighting.lat, Sighting.lon).where(
                Sighting.created_at >= period.start,
                Sighting.created_at < period.end,
                Sighting.lat.is_not(None),
                Sighting.lon.is_not(None),
            )
        ).all()
    near: Counter[int] = Counter()
    where = {
        p.id: geo.Point(p.lat, p.lon) for p in points if p.lat is not None and p.lon is not None
    }
    for lat, lon in placed:
        if lat is None or lon is None:  # filtered out above; says so to the type checker
            continue
        seen = geo.Point(lat, lon)
        near.update(i for i, at in where.items() if geo.distance_km(seen, at) <= near_km)
    return [PointCounts(p.code, p.name, int(visits.get(p.id, 0)), near[p.id]) for p in points]
