"""The map (/map): places, the last days' sightings by status, hot vehicles' tracks and,
for operators and admins, where subscribers live as shaded squares. Inline SVG that needs
nothing from outside, unless `web.map_tiles` names a tile server: only then does the page
load from elsewhere, and its Content-Security-Policy allows that server's images alone.

The same data is /api/v1/map, a route on the API's blueprint (web/api.py) so it shares
its token check, its JSON errors and its OpenAPI document.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, make_response, render_template, request, url_for
from flask_login import current_user, login_required

from gateway.app.map_data import MAX_DAYS, MapData, MapError, MapSighting, Track, map_data
from gateway.core import users
from web import api
from web.context import config, engine
from web.map_svg import Frame, Tile, frame, tile_origin, tiles
from web.sighting_view import when

bp = Blueprint("map", __name__)

DEFAULT_DAYS = 3
DAY_CHOICES = (1, 3, 7, 14, MAX_DAYS)
EXCERPT = 140  # characters of a report's text in its tooltip
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'"
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")  # no XML may hold these


def _days(text: str | None) -> int:
    if text is None or not text.strip():
        return DEFAULT_DAYS
    if not text.strip().isdigit():
        raise MapError(f"days: a whole number from 1 to {MAX_DAYS}")
    return int(text)


def _clean(text: str) -> str:
    return _UNPRINTABLE.sub(" ", text)


@dataclass
class MapView:
    """What the template draws, in SVG units; every text still to be escaped."""

    frame: Frame
    places: list[dict[str, Any]] = field(default_factory=list)
    sightings: list[dict[str, Any]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    density: list[dict[str, Any]] | None = None
    tiles: list[Tile] = field(default_factory=list)


def _title(s: MapSighting) -> str:
    parts = [s.ref, when(s.at), ", ".join(s.registrations) or "no registration"]
    parts += [s.place] if s.place else []
    parts.append(s.status + (", hot" if s.hot and s.status != "closed" else ""))
    excerpt = s.text if len(s.text) <= EXCERPT else s.text[: EXCERPT - 1] + "…"
    return _clean(" · ".join(parts) + "\n" + excerpt)


def _track(t: Track, f: Frame) -> dict[str, Any]:
    local_days = {when(p.at, "%Y-%m-%d") for p in t.points}
    style = "%H:%M" if len(local_days) == 1 else "%a %H:%M"
    line: list[tuple[float, float]] = []
    for p in t.points:
        xy = f.xy(p.point.lat, p.point.lon)
        if not line or line[-1] != xy:  # a repeated point would leave the arrow no direction
            line.append(xy)
    labels = [
        {"x": x, "y": y, "time": when(p.at, style), "ref": p.ref}
        for p, (x, y) in ((p, f.xy(p.point.lat, p.point.lon)) for p in t.points)
    ]
    return {
        "registration": t.registration,
        "points": " ".join(f"{x},{y}" for x, y in line),
        "labels": labels,
        "refs": [p.ref for p in t.points],
    }


def build_view(data: MapData, tile_template: str) -> MapView:
    positions = [(p.lat, p.lon) for p in data.places.values()]
    positions += [(s.point.lat, s.point.lon) for s in data.sightings]
    f = frame(positions)
    view = MapView(f, tiles=tiles(tile_template, f))
    at_same_spot: dict[tuple[float, float], list[str]] = {}  # "Bircham", "Great Bircham"
    for name, p in sorted(data.places.items()):
        at_same_spot.setdefault(f.xy(p.lat, p.lon), []).append(_clean(name))
    view.places = [{"x": x, "y": y, "name": " / ".join(n)} for (x, y), n in at_same_spot.items()]
    for s in data.sightings:
        x, y = f.xy(s.point.lat, s.point.lon)
        view.sightings.append(
            {
                "x": x,
                "y": y,
                "ref": s.ref,
                "marker": s.marker,
                "href": url_for("sightings.detail", ref=s.ref),
                "title": _title(s),
            }
        )
    view.tracks = [_track(t, f) for t in data.tracks]
    if data.density is not None:
        most = max((c.count for c in data.density), default=1)
        view.density = []
        for c in data.density:
            x0, y0 = f.xy(c.north, c.west)
            x1, y1 = f.xy(c.south, c.east)
            view.density.append(
                {
                    "x": x0,
                    "y": y0,
                    "w": round(x1 - x0, 1),
                    "h": round(y1 - y0, 1),
                    "opacity": round(0.15 + 0.55 * c.count / most, 2),
                    "count": c.count,
                }
            )
    return view


def content_security_policy(origin: str) -> str:
    """The console's policy, with a tile server's images allowed only when tiles show."""
    return f"{CSP}; img-src 'self' {origin}" if origin else CSP


@bp.route("/map")
@login_required
def index() -> Any:
    try:
        days = _days(request.args.get("days"))
        data = map_data(engine(), config(), days, density=current_user.can("operator"))
    except MapError as exc:
        return render_template("map.html", error=str(exc), choices=DAY_CHOICES), 400
    template = config().web.map_tiles
    view = build_view(data, template)
    reply = make_response(
        render_template(
            "map.html",
            error="",
            data=data,
            view=view,
            choices=DAY_CHOICES,
            tile_host=tile_origin(template).split("://")[-1] if view.tiles else "",
        )
    )
    reply.headers["Content-Security-Policy"] = content_security_policy(
        tile_origin(template) if view.tiles else ""
    )
    return reply


def as_json(data: MapData) -> dict[str, Any]:
    """The map's data as /api/v1/map gives it: times in UTC, positions in degrees."""

    def iso(moment: datetime) -> str:
        return moment.isoformat() + "Z"

    reply: dict[str, Any] = {
        "days": data.days,
        "since": iso(data.since),
        "places": [{"name": n, "lat": p.lat, "lon": p.lon} for n, p in sorted(data.places.items())],
        "sightings": [
            {
                "ref": s.ref,
                "received_at": iso(s.at),
                "lat": s.point.lat,
                "lon": s.point.lon,
                "located_from": s.located_from,
                "status": s.status,
                "hot": s.hot,
                "marker": s.marker,
                "registrations": list(s.registrations),
                "place": s.place,
            }
            for s in data.sightings
        ],
        "unplaced": data.unplaced,
        "tracks": [
            {
                "registration": t.registration,
                "points": [
                    {"ref": p.ref, "at": iso(p.at), "lat": p.point.lat, "lon": p.point.lon}
                    for p in t.points
                ],
            }
            for t in data.tracks
        ],
    }
    if data.density is not None:  # operators and admins only
        cells = [dataclasses.asdict(c) for c in data.density]
        reply["density"] = {"cell_km": data.cell_km, "cells": cells}
    return reply


@api.bp.route("/map")
@api.token_required("viewer")
def api_map(account: users.Account) -> Any:
    try:
        days = _days(request.args.get("days"))
        data = map_data(engine(), config(), days, density=account.can("operator"))
    except MapError as exc:
        raise api.ApiError(400, str(exc)) from None
    return jsonify(as_json(data))
