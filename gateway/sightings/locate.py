"""A sighting's position, from the best location its text gives: a grid reference (to the
metre it was written to), then a gazetteer place (its village centre), then the district of
a postcode (its first half: "PE31 6RJ" is somewhere in PE31). what3words addresses stay
text: converting them needs their paid API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from gateway.core import geo
from gateway.sightings.parser import Parsed

log = logging.getLogger(__name__)


def locate(
    parsed: Parsed, places: Callable[[], Mapping[str, geo.Point]]
) -> tuple[geo.Point, str] | None:
    """The position and what it came from ("grid_ref", "place", "postcode"), or None.
    Never raises, `places` included: a report is filed whether or not it can be placed."""
    try:
        return _locate(parsed, {geo.place_key(k): v for k, v in places().items()})
    except Exception:
        log.exception("could not place a sighting")
        return None


def _locate(parsed: Parsed, places: dict[str, geo.Point]) -> tuple[geo.Point, str] | None:
    for ref in parsed.grid_refs:
        try:
            return geo.from_grid(ref), "grid_ref"
        except geo.BadLocation:
            continue
    for name in parsed.places:
        if geo.place_key(name) in places:
            return places[geo.place_key(name)], "place"
    for postcode in parsed.postcodes:
        district = geo.place_key(postcode.split()[0])
        if district in places:
            return places[district], "postcode"
    return None
