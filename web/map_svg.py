"""Where things go on the map's inline SVG: a projection of the area that holds the places
and the sightings shown, and, when `web.map_tiles` names a tile server, which tiles lie
behind it.

The projection is spherical (Web) Mercator. Over a district some tens of kilometres wide
it is an equirectangular map with longitude shrunk by the cosine of the latitude, so
distances look right in every direction; and it is the projection tile servers draw in,
so a tiled background lines up with the markers without a second projection.
Coordinates are SVG user units: the map is WIDTH units wide, and scales with the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

WIDTH = 1000.0
MARGIN = 0.06  # of the width and height, around what is shown: labels need room
LABEL_ROOM = 0.1  # of the width, more on the right
MIN_SPAN_KM = 8.0  # one sighting alone still gets a map with its surroundings
ASPECT = (0.45, 1.0)  # height over width: a strip or a tower is padded to this
TILE = 256  # pixels a side of a map tile
MAX_TILES = 64  # a background that needs more is drawn at a coarser zoom
MAX_ZOOM = 18


def mercator(lat: float, lon: float) -> tuple[float, float]:
    """A position on the Web Mercator world square: x, y from 0 to 1, y down."""
    lat = max(-85.0, min(85.0, lat))
    x = (lon + 180.0) / 360.0
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0
    return x, y


@dataclass(frozen=True)
class Frame:
    """The part of the world square on the map, and how many SVG units to one world unit."""

    left: float
    top: float
    scale: float
    width: float
    height: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x, y = mercator(lat, lon)
        return round((x - self.left) * self.scale, 1), round((y - self.top) * self.scale, 1)


def frame(positions: Iterable[tuple[float, float]], width: float = WIDTH) -> Frame:
    """The smallest frame that holds every (lat, lon) given with a margin round it."""
    found = [mercator(lat, lon) for lat, lon in positions] or [mercator(52.85, 0.6)]
    xs, ys = [p[0] for p in found], [p[1] for p in found]
    mid_lat = _lat_of((min(ys) + max(ys)) / 2)
    # World units per km at this latitude: the world square is 40,075 km round the equator.
    least = MIN_SPAN_KM / (40075.017 * math.cos(math.radians(mid_lat)))
    dx, dy = max(max(xs) - min(xs), least), max(max(ys) - min(ys), least)
    # Names are written to the right of their dots: room for them on that side.
    cx, cy = (min(xs) + max(xs)) / 2 + dx * LABEL_ROOM / 2, (min(ys) + max(ys)) / 2
    dx, dy = dx * (1 + 2 * MARGIN + LABEL_ROOM), dy * (1 + 2 * MARGIN)
    if dy < dx * ASPECT[0]:  # a strip: taller
        dy = dx * ASPECT[0]
    elif dy > dx * ASPECT[1]:  # a tower: wider, keeping the map's fixed width
        dx = dy / ASPECT[1]
    scale = width / dx
    return Frame(cx - dx / 2, cy - dy / 2, scale, width, round(dy * scale, 1))


def _lat_of(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


@dataclass(frozen=True)
class Tile:
    url: str
    x: float
    y: float
    size: float


def tile_origin(template: str) -> str:
    """The scheme and host a tile URL template loads from ("https://tile.example.org"),
    or "" when it is not an http(s) URL with a plain host (nothing is loaded then)."""
    parts = urlsplit(template.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    if any(ch in parts.netloc for ch in "{}*;'\" ,"):
        return ""  # a host that varies ({s}) or would break the Content-Security-Policy
    if not all(k in template for k in ("{z}", "{x}", "{y}")):
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def tiles(template: str, f: Frame) -> list[Tile]:
    """The tiles that cover the frame, at the zoom whose tiles are drawn about TILE units
    wide (coarser when that would take more than MAX_TILES)."""
    if not tile_origin(template):
        return []
    zoom = max(0, min(MAX_ZOOM, round(math.log2(f.scale / TILE))))
    while True:
        n = 2**zoom
        first_x, last_x = math.floor(f.left * n), math.floor((f.left + f.width / f.scale) * n)
        first_y, last_y = math.floor(f.top * n), math.floor((f.top + f.height / f.scale) * n)
        if (last_x - first_x + 1) * (last_y - first_y + 1) <= MAX_TILES or zoom == 0:
            break
        zoom -= 1
    size = f.scale / n
    found = []
    for ty in range(max(0, first_y), min(n - 1, last_y) + 1):
        for tx in range(first_x, last_x + 1):
            url = template.replace("{z}", str(zoom)).replace("{x}", str(tx % n))
            found.append(
                Tile(
                    url.replace("{y}", str(ty)),
                    round((tx / n - f.left) * f.scale, 1),
                    round((ty / n - f.top) * f.scale, 1),
                    round(size, 2) + 0.5,  # a hair over: no seams between tiles
                )
            )
    return found
