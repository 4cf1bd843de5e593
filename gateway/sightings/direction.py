"""Which way they went, as a short phrase: "north", "on the A149", "towards Docking", or
all three in that order ("north on the B1153 towards Docking").

A compass word counts only with movement ("heading north", "northbound", "n/b"): "north of
the wood" is where, not which way. A road counts only beside movement or a compass word
("parked on the B1153" is where they were). Places and roads arrive blanked out, with
their hits, so "North Creake" is a village and not a direction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gateway.sightings.places import MASK, Hit
from gateway.sightings.vocab import words

_MOTION = (
    r"(?:head(?:ing|ed|s)?|go(?:ing|ne|es)?|went|driv(?:ing|en|e)|drove|travel+(?:ing|ed)?"
    r"|mov(?:ing|ed|e)|run+(?:ing)?|ran|walk(?:ing|ed)?|leg+(?:ing|ed)\s+it|turn(?:ing|ed)"
    r"|speed(?:ing)?|sped|rac(?:ing|ed)|tearing|belting|bombing|left|leaving"
    r"|(?:made|making|set|shot|pulled|pulling|drove|cleared)\s+off|off|away)"
    r"(?:\s+(?:off|away|out|back))?"
)
_COMPASS = r"(?:north|south)[\s\-]?(?:east|west)|north|south|east|west"
_WAY = r"(?:ward|wards|erly|bound)?"
_COMPASS_PATTERNS = (
    re.compile(
        rf"\b{_MOTION}\s+(?:(?:in\s+)?(?:a|the)\s+)?(?P<c>{_COMPASS}){_WAY}\b", re.IGNORECASE
    ),
    re.compile(rf"\b(?P<c>{_COMPASS})\s?-?\s?(?:bound|wards?)\b", re.IGNORECASE),
    re.compile(r"\b(?P<c>[nsew])\s?/\s?b(?:ound)?\b", re.IGNORECASE),
    re.compile(rf"\b(?:towards?|to)\s+the\s+(?P<c>{_COMPASS}){_WAY}\b", re.IGNORECASE),
    re.compile(rf"(?i:\b{_MOTION})\s+(?P<c>[NS][EW]|[NSEW])\b"),  # "heading NE": capitals only
)
_POINTS = {"n": "north", "s": "south", "e": "east", "w": "west"}

_TOWARDS = re.compile(
    r"\b(?:towards?|towords|twds|twd|(?:in\s+the\s+)?direction\s+of"
    r"|(?:heading|headed|making|made)\s+for|on\s+(?:the|their|his)\s+way\s+to)\s+",
    re.IGNORECASE,
)
# "heading Docking", "went to Docking"; never "left Docking", which is where they came from.
_MOTION_TO = re.compile(
    rf"\b(?:{_MOTION}\s+(?:to|into|for)|head(?:ing|ed|s)?(?:\s+(?:off|back))?)\s+"
    rf"(?=(?:the\s+)?{MASK})",
    re.IGNORECASE,
)
_THE = re.compile(r"the\s+", re.IGNORECASE)
_BOUND_FOR = re.compile(r"\s?-?\s?(?:bound|direction|way)\b", re.IGNORECASE)
_TARGET_WORDS = re.compile(r"(?:(the|a)\s+)?([^\W\d_]+)(?:\s+([^\W\d_]+))?", re.IGNORECASE)
_NOT_A_TARGET = words(
    """and or with at on in by near from then but they them it us me him her you there here
    his their our my your now again about around fast quickly slowly no not so as when while
    who which that this after before up down along north south east west"""
)

_ROAD_PREFIX = r"(?:on|along|up|down|via|onto)\s+(?:the\s+)?$"
_MOVING_ONTO_ROAD = re.compile(
    rf"(?:\b{_MOTION}\s+|\b(?:{_COMPASS}){_WAY}(?:\s+direction)?\s*,?\s+|\b(?-i:[NS][EW]|[NSEW])\s+"
    rf"|\b[nsew]\s?/\s?b(?:ound)?\s+|\btowards?\s+(?:the\s+)?{MASK}+\s*,?\s+){_ROAD_PREFIX}",
    re.IGNORECASE,
)
_ON_ROAD = re.compile(rf"\b{_ROAD_PREFIX}", re.IGNORECASE)
_THEN_MOVING = re.compile(
    rf"^\s*,?\s*(?:{_COMPASS}|[nsew]\s?/\s?b|towards?\b|twds\b)", re.IGNORECASE
)
_THEN_BOUND = re.compile(rf"^\s*(?:{_COMPASS})\s?-?\s?bound", re.IGNORECASE)


def find_direction(text: str, hits: Sequence[Hit]) -> str:
    """The phrase for `text` (places and roads already blanked, their hits given)."""
    at = {h.start: h for h in hits if h.kind in ("place", "road")}
    parts = (_compass(text), _road(text, hits), _towards(text, at))
    return " ".join(p for p in parts if p)


def _compass(text: str) -> str:
    found = [m for p in _COMPASS_PATTERNS if (m := p.search(text))]
    if not found:
        return ""
    word = re.sub(r"[\s\-]", "", min(found, key=lambda m: m.start())["c"].lower())
    if len(word) <= 2:
        return "-".join(_POINTS[ch] for ch in word)
    return re.sub(r"^(north|south)(east|west)$", r"\1-\2", word)


def _road(text: str, hits: Sequence[Hit]) -> str:
    """'on the B1153' for the first road travelled along, not merely mentioned."""
    for hit in sorted((h for h in hits if h.kind == "road"), key=lambda h: h.start):
        before = text[max(0, hit.start - 40) : hit.start]
        after = text[hit.end : hit.end + 30]
        if (
            _MOVING_ONTO_ROAD.search(before)
            or (_ON_ROAD.search(before) and _THEN_MOVING.match(after))
            or _THEN_BOUND.match(after)
        ):
            return f"on the {hit.value}"
    return ""


def _towards(text: str, at: dict[int, Hit]) -> str:
    """'towards Docking' (a known place or road), or a few words after "towards"."""
    found: list[tuple[int, str]] = []
    for m in _TOWARDS.finditer(text):
        target = _known_target(text, m.end(), at) or _words_target(text, m.end())
        if target:
            found.append((m.start(), target))
            break
    for m in _MOTION_TO.finditer(text):
        target = _known_target(text, m.end(), at)
        if target:
            found.append((m.start(), target))
            break
    for hit in at.values():
        if hit.kind == "place" and _BOUND_FOR.match(text, hit.end):
            found.append((hit.start, hit.value))
    return f"towards {min(found)[1]}" if found else ""


def _known_target(text: str, pos: int, at: dict[int, Hit]) -> str:
    the = _THE.match(text, pos)
    hit = at.get(pos) or (at.get(the.end()) if the else None)
    if hit is None:
        return ""
    return f"the {hit.value}" if hit.kind == "road" else hit.value


def _words_target(text: str, pos: int) -> str:
    m = _TARGET_WORDS.match(text, pos)
    if m is None or m[2].lower() in _NOT_A_TARGET:
        return ""
    words = [w.lower() for w in m.groups() if w]
    if m[3] and m[3].lower() in _NOT_A_TARGET:
        words.pop()
    return " ".join(words)
