"""A sighting as the rest of the gateway reads it: what was reported, by whom, what the
parser found in it, and where it stands."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from gateway.core.models import Sighting
from gateway.sightings.plates import normalise_registration

STATUSES = ("open", "acknowledged", "closed")


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
        json.loads(row.parsed or "{}"),
    )
