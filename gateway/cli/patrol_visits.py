"""patrols visits: the check-ins officers texted in, newest first, with the plates in their
notes and the sightings of the same plates (a subcommand of `smsgw patrols`)."""

from __future__ import annotations

import argparse
from datetime import timedelta

from gateway.cli.common import load_config, open_db, print_json
from gateway.core import clock
from gateway.core.db import utcnow
from gateway.core.geo import gazetteer_names
from gateway.rota.patrols import Patrols
from gateway.sightings.parser import DEFAULT_GAZETTEER, parse


def visits(args: argparse.Namespace) -> int:
    config = load_config(args)
    days = getattr(args, "days", None)
    since = utcnow() - timedelta(days=days) if days else None
    rows = Patrols(open_db(config), config).visits(since)
    gazetteer = gazetteer_names(config.rota.gazetteer) or DEFAULT_GAZETTEER
    if getattr(args, "json", False):
        print_json([{**v.as_json(), **read_notes(v.notes, gazetteer)} for v in rows])
        return 0
    for v in rows:
        at = clock.to_local(v.at, config.gateway.timezone)
        plates = ", ".join(v.registrations)
        seen = f" (seen in {', '.join(v.sightings)})" if v.sightings else ""
        print(f"{at:%Y-%m-%d %H:%M} {v.code:<8} {v.officer} {plates}{seen} {v.notes}".rstrip())
    return 0


def read_notes(notes: str, gazetteer: tuple[str, ...]) -> dict[str, object]:
    """What the sighting parser reads in a visit's notes besides the plates: places and
    counts (people, dogs, vehicles), for a problem-solver's spreadsheet."""
    parsed = parse(notes, gazetteer)
    counts = {"people": parsed.people, "dogs": parsed.dogs, "vehicles": parsed.vehicles}
    return {
        "places": [*parsed.places, *parsed.grid_refs, *parsed.postcodes, *parsed.roads],
        "counts": {k: n for k, n in counts.items() if n is not None},
    }
