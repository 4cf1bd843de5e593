"""A sighting as the rest of the gateway reads it: what was reported, by whom, what the
parser found in it, and where it stands."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from gateway.core import geo
from gateway.core.models import Sighting
from gateway.sightings.plates import normalise_registration

STATUSES = ("open", "acknowledged", "closed")
LOCATED_FROM = ("grid_ref", "place", "postcode")  # best first


@dataclass(frozen=True)
class Position:
    """Where a sighting was, read when it was filed from the best location in its text."""

    lat: float
    lon: float
    located_from: str  # one of LOCATED_FROM
    typed_grid: str = ""  # the grid reference texted, when that is what it came from

    @property
    def grid(self) -> str:
        """As a grid reference: the one texted, else the 100 m square of the place."""
        return self.typed_grid or geo.to_grid(geo.Point(self.lat, self.lon), 6)

    def as_json(self) -> dict[str, object]:
        return {"lat": self.lat, "lon": self.lon, "grid": self.grid, "from": self.located_from}


@dataclass(frozen=True)
class SightingInfo:
    id: int
    ref: str
    sender: str
    sender_name: str
    known_sender: bool
    text: str
    registrations: tuple[str, ...]
    place: str
    status: str
    hot: bool
    created_at: datetime
    parsed: dict[str, object]
    position: Position | None = None  # None: nothing in the text could be placed


def found(info: SightingInfo, field: str) -> list[str]:
    """One list the parser filled ("grid_refs", "colours"...), as strings; [] if absent."""
    value = info.parsed.get(field)
    return [str(x) for x in value if x] if isinstance(value, list) else []


def plate_pattern(text: str) -> str:
    """What a registration search matches against plates with their spaces taken out:
    a whole plate however written ("kx19abc" finds "KX19 ABC"), or any piece of one."""
    whole = normalise_registration(text)
    return re.sub(r"[^A-Z0-9]", "", (whole or text).upper())


def info_of(row: Sighting) -> SightingInfo:
    """A `sightings` row (or a row of its columns) as SightingInfo."""
    regs = tuple(r for r in row.registrations.split(";") if r)
    parsed = json.loads(row.parsed or "{}")
    position = None
    if row.lat is not None and row.lon is not None and row.located_from:
        grids = parsed.get("grid_refs") or [""]
        typed = str(grids[0]) if row.located_from == "grid_ref" else ""
        position = Position(row.lat, row.lon, row.located_from, typed)
    return SightingInfo(
        row.id,
        row.ref,
        row.sender,
        row.sender_name,
        row.known_sender,
        row.text,
        regs,
        row.place,
        row.status,
        row.hot,
        row.created_at,
        parsed,
        position,
    )
