"""Read what matters out of a gamekeeper's sighting: plates, the vehicle, where, how many,
which way. Pure: no database, no I/O, never raises.

The finders run in an order that keeps them from reading each other's digits: plates
first (gateway.sightings.plates), then what3words, postcodes, grid references, roads and
places (gateway.sightings.places), each blanked out before the next looks; only then are
words and numbers read (gateway.sightings.words) and the direction
(gateway.sightings.direction). So "B1153", "PE31 6RJ" and "KX19 ABC" are never counts,
and "A149" is never a plate. Times need no blanking: a count is a number of at most three
digits that touches no ":" or "." and is followed by what it counts, which "22:30",
"2230" and "10pm" never are.

Counts are what the text states: "3 men" is 3, "men" is None (not known), "no dogs" is 0.
`dogs_seen` says dogs were mentioned even when nobody counted them ("dogs out").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.sightings.direction import find_direction
from gateway.sightings.places import Hit, blank, find_places
from gateway.sightings.plates import find_registrations
from gateway.sightings.vocab import DEFAULT_GAZETTEER
from gateway.sightings.words import read, tokenise

__all__ = ["DEFAULT_GAZETTEER", "Parsed", "parse"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parsed:
    registrations: tuple[str, ...] = ()  # complete plates, normalised ("KX19 ABC")
    partial_registrations: tuple[str, ...] = ()  # "YR68", "WU62 X??"
    colours: tuple[str, ...] = ()  # of vehicles, canonical: "silver", "dark blue"
    makes: tuple[str, ...] = ()  # "Subaru", "Land Rover" ("Hilux" says Toyota)
    vehicle_types: tuple[str, ...] = ()  # car van pickup 4x4 "quad bike" motorbike tractor lorry
    postcodes: tuple[str, ...] = ()  # "PE31 6RJ"
    grid_refs: tuple[str, ...] = ()  # "TF 7831 3851"
    what3words: tuple[str, ...] = ()  # "filled.count.soap"
    places: tuple[str, ...] = ()  # gazetteer names, as the gazetteer spells them
    roads: tuple[str, ...] = ()  # "B1153", "A1(M)"
    people: int | None = None  # None: no number given
    dogs: int | None = None
    vehicles: int | None = None
    direction: str = ""  # "north on the B1153 towards Docking", "" if none
    dogs_seen: bool = False  # dogs mentioned, counted or not ("dogs out")


def parse(text: str, gazetteer: Sequence[str] = DEFAULT_GAZETTEER) -> Parsed:
    """Everything `text` says that an officer can act on; each field in the order written.

    A bug here must not lose a report from the field: the caller files the text whatever
    this returns, so an unexpected error is logged and an empty Parsed returned.
    """
    try:
        return _parse(text, gazetteer)
    except Exception:
        log.exception("sighting parser failed on a %d-character text", len(text))
        return Parsed()


_TIDY = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-"})


def _parse(text: str, gazetteer: Sequence[str]) -> Parsed:
    text = unicodedata.normalize("NFKC", text).translate(_TIDY)
    plates = find_registrations(text)
    unplated = blank(text, [Hit(*p.span, "plate", p.normalised) for p in plates], " ")
    hits = find_places(unplated, gazetteer)
    hits.sort(key=lambda h: h.start)
    rest = blank(unplated, hits)
    seen = read(tokenise(rest))

    def found(kind: str) -> tuple[str, ...]:
        return _unique(h.value for h in hits if h.kind == kind)

    return Parsed(
        registrations=_unique(p.normalised for p in plates if not p.partial),
        partial_registrations=_unique(p.normalised for p in plates if p.partial),
        colours=seen.colours,
        makes=seen.makes,
        vehicle_types=seen.vehicle_types,
        postcodes=found("postcode"),
        grid_refs=found("grid_ref"),
        what3words=found("what3words"),
        places=found("place"),
        roads=found("road"),
        people=seen.people,
        dogs=seen.dogs,
        vehicles=seen.vehicles,
        direction=_tidy_direction(find_direction(rest, hits)),
        dogs_seen=seen.dogs_seen,
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _tidy_direction(phrase: str) -> str:
    return re.sub(r"\s+", " ", phrase).strip()
