"""Where an alert goes: only the lists' members within a radius of a place, and perhaps
those with no location.

`smsgw alert --near`, the console's compose form and POST /api/v1/alerts each hand over
what they were given (a place or grid reference as typed, a radius, a flag) and get back
the same `Near`, or the same errors. Each caller names its inputs its own way, so each
error is a class of its own that a caller may word for its people; every one is a
NearError, a GatewayError, so a caller that does not care shows the message as it is.
(Not an AlertError: gateway/alerts/service.py imports this module for `Near`.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.core.errors import GatewayError
from gateway.core.geo import BadLocation, Point, parse_location
from gateway.subscribers.audience import EmailRecipient, Recipient
from gateway.subscribers.near import NearAudience

MAX_RADIUS_KM = 100.0  # beyond this, an alert "near" somewhere is an alert to everyone
MAX_TEXT = 60  # characters of the place as typed, kept on the alert


class NearError(GatewayError, ValueError):
    """An alert's place or radius that cannot be used; the text says why."""


class NoRadius(NearError):
    """A place was given without a radius."""


class NoPlace(NearError):
    """A radius, or "include unplaced", was given without a place."""


class BadRadius(NearError):
    """The radius is not a number of km above 0 and at most MAX_RADIUS_KM."""


class BadPlace(NearError):
    """The place is not a grid reference, lat,lon, or a place the gazetteer knows."""


@dataclass(frozen=True)
class Near:
    centre: Point
    radius_km: float
    include_unplaced: bool  # members with no location get it too
    text: str  # the place as typed (cleaned), for people to read

    def describe(self) -> str:
        return f"within {self.radius_km:g} km of {self.text}"

    def audited(self) -> str:
        """The words the audit log adds after an alert's lists."""
        unplaced = " and those with no location" if self.include_unplaced else ""
        return f" {self.describe()}{unplaced}"

    def as_json(self) -> dict[str, object]:
        """As `smsgw alerts --json` and the API show it."""
        return {
            "place": self.text,
            "lat": round(self.centre.lat, 6),
            "lon": round(self.centre.lon, 6),
            "radius_km": self.radius_km,
            "include_unplaced": self.include_unplaced,
        }

    def columns(self) -> dict[str, object]:
        """The `alerts` row's columns for it (migration 0015)."""
        return {
            "near_lat": self.centre.lat,
            "near_lon": self.centre.lon,
            "radius_km": self.radius_km,
            "include_unplaced": self.include_unplaced,
            "near_text": self.text,
        }


def near_of_row(row: Any) -> Near | None:
    """An `alerts` row's Near; None for an alert to the whole lists."""
    if row.near_lat is None or row.near_lon is None or row.radius_km is None:
        return None
    centre = Point(row.near_lat, row.near_lon)
    return Near(centre, row.radius_km, bool(row.include_unplaced), row.near_text)


def near_of(
    centre: Point | None, radius_km: float | None, include_unplaced: bool, text: str = ""
) -> Near | None:
    """`Alerts.create`'s keywords as one Near, checked as `near_alert` checks what a
    person typed (a caller with a Point already, not a place's name)."""
    if centre is None:
        if radius_km is not None or include_unplaced:
            raise NoPlace("a radius, or including members with no location, needs a place")
        return None
    if radius_km is None:
        raise NoRadius("an alert near a place needs a radius in km")
    where = clean_place(text) or f"{centre.lat:.5f},{centre.lon:.5f}"
    return Near(centre, radius(radius_km), include_unplaced, where)


def reached_by_text(
    subscribers: NearAudience, list_ids: Sequence[int], near: Near | None
) -> list[Recipient]:
    """Who an alert texts now: the lists' recipients, narrowed by its Near if it has one."""
    if near is None:
        return subscribers.recipients(list_ids)
    c, km, unplaced = near.centre, near.radius_km, near.include_unplaced
    return subscribers.recipients_near(list_ids, c, km, unplaced)[0]


def reached_by_email(
    subscribers: NearAudience, list_ids: Sequence[int], near: Near | None
) -> list[EmailRecipient]:
    """Who an alert emails now, narrowed as `reached_by_text`."""
    if near is None:
        return subscribers.email_recipients(list_ids)
    c, km, unplaced = near.centre, near.radius_km, near.include_unplaced
    return subscribers.email_recipients_near(list_ids, c, km, unplaced)[0]


def clean_place(text: str) -> str:
    return " ".join(text.split())[:MAX_TEXT]


def radius(value: object) -> float:
    """A radius in km from a form's text, a JSON number or a float; BadRadius otherwise."""
    if isinstance(value, bool):  # a JSON true is not 1 km
        raise BadRadius("the radius must be a number of km")
    try:
        km = float(value.strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadRadius(f"the radius must be a number of km, not {value!r}") from None
    if not math.isfinite(km) or not 0 < km <= MAX_RADIUS_KM:
        raise BadRadius(f"the radius is more than 0 and at most {MAX_RADIUS_KM:g} km, not {km:g}")
    return km


def near_alert(
    place: str | None,
    radius_km: object,
    include_unplaced: bool,
    places: Mapping[str, Point],
) -> Near | None:
    """The alert's `Near`, or None when no place is given (the whole lists). A place needs
    a radius and a radius a place; `places` is gateway.core.geo.places(config)."""
    text = clean_place(place or "")
    given = radius_km is not None and not (isinstance(radius_km, str) and not radius_km.strip())
    if not text:
        if given:
            raise NoPlace("a radius needs a place to measure it from")
        if include_unplaced:
            raise NoPlace("including members with no location needs a place and a radius")
        return None
    if not given:
        raise NoRadius(f"give a radius in km to alert the members near {text}")
    km = radius(radius_km)
    try:
        centre = parse_location(text, places)
    except BadLocation as exc:
        raise BadPlace(str(exc)) from None
    return Near(centre, km, include_unplaced, text)
