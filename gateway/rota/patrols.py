"""Patrol points and the visits officers text in from them: where to go, and who went.

Points live in the rota layer because the officers do; check-ins by SMS (record_visit)
come from gateway/routing, and suggested patrols read sightings (patrol_suggest.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.core import geo
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import PatrolPoint

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gateway.core.config import Config
    from gateway.rota.patrol_suggest import Suggestion
    from gateway.rota.patrol_visits import VisitInfo

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")  # what fits in "PATROL <CODE>" and the column
MAX_NAME = 100
MAX_LOCATION = 40


class PatrolError(GatewayError, ValueError):
    """A patrol point or visit that cannot be recorded; `code` names the kind."""

    def __init__(self, message: str, code: str = "patrol") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PatrolPointInfo:
    id: int
    code: str
    name: str
    location: str
    lat: float | None
    lon: float | None

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "location": self.location,
            "lat": self.lat,
            "lon": self.lon,
        }


def clean_code(code: str) -> str:
    """The stored form of a point's code (upper case, like list keywords), or PatrolError."""
    word = code.strip().upper()
    if not CODE.fullmatch(word):
        raise PatrolError(
            f"patrol code {code!r}: 1-20 letters, digits or '-', starting with a letter or digit",
            "bad_code",
        )
    return word


def _info(row: Any) -> PatrolPointInfo:  # a PatrolPoint row
    return PatrolPointInfo(row.id, row.code, row.name, row.location, row.lat, row.lon)


class Patrols:
    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.config = config

    def add(self, code: str, name: str, location: str = "") -> PatrolPointInfo:
        """A new point; its location (grid ref, "lat,lon" or a gazetteer place) is placed
        now so sightings near it can be found without converting again."""
        word = clean_code(code)
        title = " ".join(name.split())
        if not title or len(title) > MAX_NAME:
            raise PatrolError(f"a patrol point's name is 1-{MAX_NAME} characters", "bad_name")
        where = " ".join(location.split())
        if len(where) > MAX_LOCATION:
            raise PatrolError(f"location is at most {MAX_LOCATION} characters", "bad_location")
        lat = lon = None
        if where:
            try:
                point = geo.parse_location(where, geo.places(self.config))
            except geo.BadLocation as exc:
                raise PatrolError(str(exc), "bad_location") from None
            lat, lon = point.lat, point.lon
        try:
            with self.engine.begin() as conn:
                point_id = conn.execute(
                    insert(PatrolPoint).returning(PatrolPoint.id),
                    {
                        "code": word,
                        "name": title,
                        "location": where,
                        "lat": lat,
                        "lon": lon,
                        "created_at": utcnow(),
                        "active": True,
                    },
                ).scalar_one()
        except IntegrityError:
            raise PatrolError(f"patrol point {word} exists already", "exists") from None
        return PatrolPointInfo(point_id, word, title, where, lat, lon)

    def points(self) -> list[PatrolPointInfo]:
        """Active points in code order (the order of the briefing sheet)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(PatrolPoint).where(PatrolPoint.active).order_by(PatrolPoint.code)
            ).all()
        return [_info(r) for r in rows]

    def point(self, code: str) -> PatrolPointInfo | None:
        """The active point with this code (any case), or None."""
        word = code.strip().upper()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(PatrolPoint).where(PatrolPoint.code == word, PatrolPoint.active)
            ).first()
        return _info(row) if row else None

    def suggested(self, days: float = 14, now: datetime | None = None) -> Suggestion:
        """Points ranked by sightings near them and hours since a visit; busiest hours."""
        from gateway.rota.patrol_suggest import suggest

        return suggest(
            self.engine, self.points(), days=days, now=now, zone=self.config.gateway.timezone
        )

    def record_visit(
        self,
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
        """One check-in, once per text (inbound_id); PatrolError "unknown_point" if none."""
        from gateway.rota.patrol_visits import record_visit

        return record_visit(
            self.engine,
            code,
            officer=officer,
            phone=phone,
            notes=notes,
            registrations=registrations,
            operator_id=operator_id,
            inbound_id=inbound_id,
            at=at,
        )

    def visits(self, since: datetime | None = None, limit: int | None = None) -> list[VisitInfo]:
        """Visits since `since` (naive UTC; None: all), newest first, with linked sightings;
        the newest `limit` when given."""
        from gateway.rota.patrol_visits import visits

        return visits(self.engine, since, limit)
