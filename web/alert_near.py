"""A sighting's offer to alert the farms near it: the compose form opened with the
sighting's place filled in (GET /alerts/new?near=...&radius_km=...), for the operator to
check, write and preview like any alert."""

from __future__ import annotations

from gateway.core.geo import BadLocation
from gateway.sightings.info import SightingInfo

NEAR_KM = 5  # the radius the offer starts with; the form can change it


def near_ref(info: SightingInfo) -> str:
    """Where the sighting was, as the compose form's `near`: the grid reference it was
    texted with, else that of the position filed from its place or postcode district;
    "" when it has no position (no offer then)."""
    if info.position is None:
        return ""
    try:
        return info.position.grid
    except BadLocation:  # a position off the British grid: as lat,lon
        return f"{info.position.lat:.5f},{info.position.lon:.5f}"
