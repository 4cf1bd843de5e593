"""Sightings as the control room watches them at night: each live report's age, who has it
and its escalation stage for the dashboard, and the small JSON feed every console page
polls (static/watch.js) to change its title and favicon, and sound, when a report arrives
or climbs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.sightings import standing
from web.context import engine
from web.sighting_view import when


def age(created_at: datetime, now: datetime) -> str:
    """How long a report has waited, as said across a room: "12 min", "2 h 05 min", "3 d 4 h"."""
    minutes = max(0, int((now - created_at).total_seconds() // 60))
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def with_standing(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The table rows (sightings.view_rows) with their age, owner and stage added; `next`
    says when an untaken report climbs."""
    found = standing.standings(engine(), [r["info"].id for r in rows])
    out = []
    for row in rows:
        info = row["info"]
        s = found.get(info.id)
        stage = s.stage if s else ""
        # Who is next depends on the rota at that moment (a missing backup means the desk).
        upcoming = f"escalates {when(s.escalate_at, '%H:%M')}" if s and s.escalate_at else ""
        out.append(
            {
                **row,
                "age": age(info.created_at, now),
                "owner": s.owner if s else "",
                "stage": stage,
                "next": upcoming,
            }
        )
    return out


def feed() -> dict[str, Any]:
    """What watch.js reads: the open reports and their stages. A ref not seen before, or
    seen at a lower stage, is news; refs only, nothing personal."""
    found = standing.open_feed(engine())
    return {
        "open": [
            {
                "ref": o.ref,
                "stage": o.stage,
                "stage_name": standing.stage_name(o.stage),
                "hot": o.hot,
            }
            for o in found
        ],
        "count": len(found),
    }
