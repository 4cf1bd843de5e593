"""Where and when to patrol next: points ranked by the sightings near them in the last
days and by how long since anyone checked in there, and the hours of day reports come in.
Read by the console's patrols page and the briefing sheet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from gateway.core import clock
from gateway.core.geo import Point, distance_km
from gateway.core.models import PatrolVisit, Sighting

if TYPE_CHECKING:
    from gateway.rota.patrols import PatrolPointInfo

NEAR_KM = 2.0  # a sighting this close to a point counts toward it
BUSY_HOURS = 3  # how many of the busiest hours of day to name


@dataclass(frozen=True)
class NearSighting:
    ref: str
    at: datetime  # naive UTC
    place: str
    text: str
    km: float


@dataclass(frozen=True)
class Ranked:
    point: PatrolPointInfo
    reports: int  # sightings within NEAR_KM in the window
    last_visit: datetime | None  # naive UTC; None when never visited
    hours_since_visit: float | None


@dataclass(frozen=True)
class Suggestion:
    days: float
    points: list[Ranked]  # most in need of a patrol first
    busiest_hours: list[tuple[int, int]]  # (local hour 0-23, reports), busiest first


def _located(engine: Engine, since: datetime) -> list[Any]:  # Sighting rows
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(Sighting)
                .where(Sighting.created_at >= since)
                .order_by(Sighting.created_at.desc())
            ).all()
        )


def near(points: list[PatrolPointInfo], sightings: list[Any]) -> dict[str, list[NearSighting]]:
    """For each placed point's code, the sightings within NEAR_KM, newest first."""
    found: dict[str, list[NearSighting]] = {p.code: [] for p in points}
    for p in points:
        if p.lat is None or p.lon is None:
            continue
        here = Point(p.lat, p.lon)
        for s in sightings:
            if s.lat is None or s.lon is None:
                continue
            km = distance_km(here, Point(s.lat, s.lon))
            if km <= NEAR_KM:
                found[p.code].append(NearSighting(s.ref, s.created_at, s.place, s.text, km))
    return found


def recent_near(
    engine: Engine, points: list[PatrolPointInfo], days: float, now: datetime | None = None
) -> dict[str, list[NearSighting]]:
    """`near` over the sightings of the last `days` days."""
    since = (now or clock.utcnow()) - timedelta(days=days)
    return near(points, _located(engine, since))


def suggest(
    engine: Engine,
    points: list[PatrolPointInfo],
    *,
    days: float = 14,
    now: datetime | None = None,
    zone: clock.Zone = "Europe/London",
) -> Suggestion:
    """Rank points: most reports near them first, then longest since a visit (never
    visited counts as longest), so a quiet point nobody checks still comes before one
    visited this morning."""
    moment = now or clock.utcnow()
    sightings = _located(engine, moment - timedelta(days=days))
    nearby = near(points, sightings)
    with engine.connect() as conn:
        last = dict(
            conn.execute(
                select(PatrolVisit.point_id, func.max(PatrolVisit.at)).group_by(
                    PatrolVisit.point_id
                )
            ).all()
        )
    ranked = []
    for p in points:
        seen = last.get(p.id)
        hours = (moment - seen).total_seconds() / 3600 if seen else None
        ranked.append(Ranked(p, len(nearby[p.code]), seen, hours))
    ranked.sort(
        key=lambda r: (
            -r.reports,
            -(r.hours_since_visit if r.hours_since_visit is not None else float("inf")),
            r.point.code,
        )
    )
    hours_of_day = Counter(clock.to_local(s.created_at, zone).hour for s in sightings)
    busiest = sorted(hours_of_day.items(), key=lambda kv: (-kv[1], kv[0]))[:BUSY_HOURS]
    return Suggestion(days, ranked, busiest)
