"""A sighting as webhook receivers read it (sighting.filed, .escalated, .acknowledged).

The receiver is the force's own incident system, so the reporter's number goes whole,
as the console shows it to an officer (README, "Webhooks").
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from gateway.core import events
from gateway.core.models import Sighting
from gateway.sightings.info import found, info_of

LEVELS = ("primary", "backup", "fallback")  # as in forwards.py, which imports this


def emit_in(conn: Connection, type_: str, sighting: int | str) -> None:
    """Queue `type_` for the sighting (its id or ref) as it now stands, in the caller's
    transaction; nothing is read when no webhook takes `type_`."""
    if not events.wanted(type_):
        return
    key = Sighting.ref == sighting if isinstance(sighting, str) else Sighting.id == sighting
    row = conn.execute(select(Sighting).where(key)).one()
    info = info_of(row)  # type: ignore[arg-type]
    data: dict[str, object] = {
        "ref": info.ref,
        "from": info.sender,
        "text": info.text,
        "registrations": list(info.registrations),
        "places": found(info, "places") or ([info.place] if info.place else []),
        "position": info.position.as_json() if info.position else None,
        "status": info.status,
    }
    if type_ == "sighting.escalated":
        data["level"] = LEVELS[min(row.escalation, len(LEVELS) - 1)]
    events.emit_in(conn, type_, data)
