"""How sightings are shown: local times, the sender as the reader may see them, and the
plates and places picked out in the text. Shared by the sightings pages, the dashboard
and the reports."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.core import clock
from gateway.sightings.desk import SightingInfo, Sightings
from gateway.sightings.history import Step
from web.context import config, services, shown_number, shown_text


def desk() -> Sightings:
    return services().sightings


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone(config().gateway.timezone)


def when(moment: datetime | None, style: str = "%a %d %b %H:%M") -> str:
    """A naive UTC time from the database on the control room's clock."""
    return clock.to_local(moment, zone()).strftime(style) if moment else ""


number = shown_number  # a phone number is personal data: viewers see a mask


def sender(info: SightingInfo) -> str:
    return info.sender_name or number(info.sender)


def _plate(registration: str) -> str:
    """A plate as it may be written: any case, spaces or hyphens between its characters."""
    return r"[\s-]*".join(re.escape(ch) for ch in registration.replace(" ", ""))


def _place(place: str) -> str:
    return r"\s+".join(re.escape(word) for word in place.split())


def highlight(info: SightingInfo) -> list[tuple[str, bool]]:
    """The text in pieces, true for a piece that is a plate or the place: the template
    marks them, and every piece is still escaped."""
    patterns = [_plate(r) for r in info.registrations if r.strip()]
    patterns += [_place(info.place)] if info.place.strip() else []
    if not patterns:
        return [(info.text, False)]
    found = re.compile(
        r"(?<!\w)(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + r")(?!\w)",
        re.IGNORECASE,
    )
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in found.finditer(info.text):
        pieces += [(info.text[at : match.start()], False), (match.group(), True)]
        at = match.end()
    pieces.append((info.text[at:], False))
    return [p for p in pieces if p[0]]


_PARSED = (
    ("registrations", "Registrations"),
    ("partial_registrations", "Partial plates"),
    ("colours", "Colour"),
    ("makes", "Make"),
    ("vehicle_types", "Vehicle"),
    ("places", "Place"),
    ("roads", "Road"),
    ("postcodes", "Postcode"),
    ("grid_refs", "Grid reference"),
    ("what3words", "what3words"),
    ("people", "People"),
    ("dogs", "Dogs"),
    ("vehicles", "Vehicles"),
    ("direction", "Direction"),
)


def parsed_rows(info: SightingInfo) -> list[tuple[str, str]]:
    """(label, value) for each thing the parser found; counts of 0 are kept ("no dogs")."""
    rows = []
    for key, label in _PARSED:
        value = info.parsed.get(key)
        if key == "dogs" and value is None and info.parsed.get("dogs_seen"):
            value = "seen, not counted"
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        if value is not None and value != "":
            rows.append((label, str(value)))
    return rows


ESCALATION = {
    "primary": "the officer on duty",
    "backup": "the backup officer",
    "fallback": "the control room desk",
}


def history_rows(steps: list[Step]) -> list[dict[str, str]]:
    """A sighting's steps as this reader may see them: local times, numbers masked for
    viewers, each message's recipient by role and, for an officer, by name."""
    rows = []
    for step in steps:
        who = " ".join(x for x in (step.name, number(step.number) if step.number else "") if x)
        if step.level:
            who = f"{ESCALATION[step.level]} ({who})" if who else ESCALATION[step.level]
        rows.append(
            {
                "kind": step.kind,
                "when": when(step.at, "%a %d %b %H:%M:%S"),
                "who": who,
                "actor": step.actor,
                "state": step.state,
                "error": shown_text(step.error),
                "alert": step.alert,
                "lists": step.lists,
            }
        )
    return rows
