"""What the console's map shows, read from the database: the gazetteer's places, the last
days' sightings that have a position, the tracks of hot vehicles, and where subscribers
live as counts per grid square (never one person's position).

Read-only and projection-free: positions stay latitude and longitude, and the console
decides how to draw them. A vehicle is hot as the sightings desk says (two or more people
reported it within `rota.correlation_window`); its track is its positioned reports in the
order they were filed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import Engine, select

from gateway.core.config import Config
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.geo import Point, places
from gateway.core.models import Sighting, SightingVehicle, Subscriber

MAX_DAYS = 31  # a month of reports; longer is a job for the sightings list and its export
MOST = 2000  # sightings on one map: more would hide each other anyway
CELL_KM = 2.0  # the side of a density square: a farm's neighbourhood, not its gate
KM_PER_DEGREE = 111.195  # along a meridian, on the mean Earth radius (6371.0088 km)
POSTCODE_DISTRICT = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?")  # "PE31": not a village


class MapError(GatewayError, ValueError):
    """A map that cannot be drawn as asked; the text says why."""


@dataclass(frozen=True)
class MapSighting:
    ref: str
    at: datetime  # filed, naive UTC
    point: Point
    located_from: str  # grid_ref, place or postcode
    status: str  # open, acknowledged, closed
    hot: bool
    registrations: tuple[str, ...]
    place: str
    text: str

    @property
    def marker(self) -> str:
        """How it is drawn: closed whatever it was, else hot, else open."""
        if self.status == "closed":
            return "closed"
        return "hot" if self.hot else "open"


@dataclass(frozen=True)
class TrackPoint:
    ref: str
    at: datetime  # naive UTC
    point: Point


@dataclass(frozen=True)
class Track:
    """A hot vehicle's positioned reports, oldest first: the last point is where it was
    seen most recently, so the line's direction is the vehicle's."""

    registration: str
    points: tuple[TrackPoint, ...]


@dataclass(frozen=True)
class Cell:
    """A square about CELL_KM on a side and how many located subscribers live in it."""

    south: float
    west: float
    north: float
    east: float
    count: int


@dataclass(frozen=True)
class MapData:
    days: int
    since: datetime  # naive UTC
    places: dict[str, Point]  # villages (postcode districts left out)
    sightings: list[MapSighting]  # oldest first
    unplaced: list[str]  # refs of the window's sightings with no position
    tracks: list[Track]
    density: list[Cell] | None  # None: not for this reader
    cell_km: float = CELL_KM


def map_data(
    engine: Engine,
    config: Config,
    days: int,
    *,
    density: bool,
    now: datetime | None = None,
) -> MapData:
    """Everything the map draws for the last `days` days; `density` only for readers
    allowed to see where subscribers live (operators and admins)."""
    if not 1 <= days <= MAX_DAYS:
        raise MapError(f"days: a whole number from 1 to {MAX_DAYS}")
    since = (now or utcnow()) - timedelta(days=days)
    shown, unplaced = _sightings(engine, since)
    window = timedelta(seconds=config.rota.correlation_window)
    return MapData(
        days=days,
        since=since,
        places={
            name: p for name, p in places(config).items() if not POSTCODE_DISTRICT.fullmatch(name)
        },
        sightings=shown,
        unplaced=unplaced,
        tracks=_tracks(engine, since, window),
        density=_density(engine) if density else None,
    )


def _sightings(engine: Engine, since: datetime) -> tuple[list[MapSighting], list[str]]:
    columns = (
        Sighting.ref,
        Sighting.created_at,
        Sighting.lat,
        Sighting.lon,
        Sighting.located_from,
        Sighting.status,
        Sighting.hot,
        Sighting.registrations,
        Sighting.place,
        Sighting.text,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns)
            .where(Sighting.created_at >= since)
            .order_by(Sighting.created_at.desc(), Sighting.id.desc())
            .limit(MOST)
        ).all()
    shown, unplaced = [], []
    for ref, at, lat, lon, located_from, status, hot, regs, place, text in reversed(rows):
        if lat is None or lon is None:
            unplaced.append(ref)
            continue
        shown.append(
            MapSighting(
                ref,
                at,
                Point(lat, lon),
                located_from or "",
                status,
                bool(hot),
                tuple(r for r in (regs or "").split(";") if r),
                place or "",
                text,
            )
        )
    return shown, unplaced


def _tracks(engine: Engine, since: datetime, window: timedelta) -> list[Track]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                SightingVehicle.registration,
                SightingVehicle.sender,
                SightingVehicle.seen_at,
                Sighting.ref,
                Sighting.lat,
                Sighting.lon,
            )
            .join(Sighting, Sighting.id == SightingVehicle.sighting_id)
            .where(Sighting.created_at >= since)
            .order_by(SightingVehicle.registration, SightingVehicle.seen_at, Sighting.id)
            .limit(MOST)
        ).all()
    tracks = []
    for registration, group in groupby(rows, key=lambda r: str(r[0])):
        reports = list(group)
        if not is_hot([(r[1], r[2]) for r in reports], window):
            continue
        points = tuple(
            TrackPoint(r[3], r[2], Point(r[4], r[5]))
            for r in reports
            if r[4] is not None and r[5] is not None
        )
        if len(points) >= 2:
            tracks.append(Track(registration, points))
    return tracks


def is_hot(reports: Sequence[tuple[str, datetime]], window: timedelta) -> bool:
    """Whether two different people reported it within `window` of each other, as the
    sightings desk marks a vehicle hot. `reports` are (sender, seen_at), oldest first."""
    for n, (sender, at) in enumerate(reports):
        for other, later in reports[n + 1 :]:
            if later - at > window:
                break
            if other != sender:
                return True
    return False


def _density(engine: Engine) -> list[Cell]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Subscriber.lat, Subscriber.lon).where(
                Subscriber.lat.is_not(None),
                Subscriber.lon.is_not(None),
                Subscriber.erased_at.is_(None),
            )
        ).all()
    return cells(((lat, lon) for lat, lon in rows if lat is not None and lon is not None), CELL_KM)


def cells(points: Iterable[tuple[float, float]], km: float) -> list[Cell]:
    """Count points per square of about `km` a side: rows of equal latitude, each row cut
    in longitude at its own middle latitude so the squares stay square going north."""
    dlat = km / KM_PER_DEGREE
    counts: dict[tuple[int, int], int] = {}
    for lat, lon in points:
        row = math.floor(lat / dlat)
        key = (row, math.floor(lon / _dlon(row, dlat, km)))
        counts[key] = counts.get(key, 0) + 1
    found = []
    for (row, col), count in sorted(counts.items()):
        dlon = _dlon(row, dlat, km)
        found.append(Cell(row * dlat, col * dlon, (row + 1) * dlat, (col + 1) * dlon, count))
    return found


def _dlon(row: int, dlat: float, km: float) -> float:
    middle = math.radians((row + 0.5) * dlat)
    return km / (KM_PER_DEGREE * max(math.cos(middle), 0.01))
