"""Where a subscriber is: a location as they or an officer typed it (an OS grid reference,
"lat,lon", a gazetteer place or a postcode district), kept beside the position read from
it, so an alert can go to the farms near a vehicle (gateway/subscribers/near.py).

The text is kept because it is what the person recognises and what an officer corrects;
the position is what distances are worked out from. Both are personal data: erase clears
them, and audit entries say only that a location was set, changed or removed.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.engine import Connection

from gateway.core import geo
from gateway.core.errors import GatewayError
from gateway.core.models import Subscriber
from gateway.core.phone import normalise

MAX_LOCATION = 40  # characters, as typed: longer than any grid reference or place name


class NotSubscribed(GatewayError, ValueError):
    """A location for a number that is not a subscriber's."""


def read_location(text: str, places: Mapping[str, geo.Point]) -> tuple[str, geo.Point] | None:
    """The location as it will be kept (spaces tidied) and its position; None for "".
    Raises geo.BadLocation for anything else that cannot be placed."""
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    if len(cleaned) > MAX_LOCATION:
        raise geo.BadLocation(f"a location is at most {MAX_LOCATION} characters")
    return cleaned, geo.parse_location(cleaned, places)


def fill_locations(conn: Connection, found: list[tuple[int, str, geo.Point]]) -> None:
    """Give each (subscriber id, location, position) its location, where it has none:
    an import fills an empty location as it fills an empty name or address."""
    if not found:
        return
    conn.execute(
        update(Subscriber)
        .where(Subscriber.id == bindparam("b_id"), Subscriber.location.is_(None))
        .values(location=bindparam("b_loc"), lat=bindparam("b_lat"), lon=bindparam("b_lon"))
        .execution_options(synchronize_session=False),
        [{"b_id": i, "b_loc": t, "b_lat": p.lat, "b_lon": p.lon} for i, t, p in found],
    )


class Whereabouts:
    """Mixed into `Subscribers` (gateway/subscribers/service.py)."""

    engine: Engine
    country: str
    gazetteer: tuple[str, ...]  # config `rota.gazetteer`: places it adds to the built-ins

    def places(self) -> dict[str, geo.Point]:
        return geo.gazetteer_places(self.gazetteer)

    def read_location(self, text: str) -> tuple[str, geo.Point] | None:
        """Check a location without storing it (a form checks every field first)."""
        return read_location(text, self.places())

    def set_location(self, phone: str, text: str) -> str:
        """Set a person's location ("" removes it); raises geo.BadLocation for one that
        cannot be placed. Returns what changed for the audit log, never the place:
        "location set", "location changed", "location removed" or ""."""
        number = normalise(phone, self.country)
        found = self.read_location(text)
        with self.engine.begin() as conn:
            old = conn.execute(
                select(Subscriber.id, Subscriber.location).where(Subscriber.phone == number)
            ).first()
            if old is None:
                raise NotSubscribed(f"{number} is not a subscriber")
            new = found[0] if found else None
            if new == old.location:
                return ""
            lat, lon = (found[1].lat, found[1].lon) if found else (None, None)
            conn.execute(
                update(Subscriber)
                .where(Subscriber.id == old.id)
                .values(location=new, lat=lat, lon=lon)
            )
        if new is None:
            return "location removed"
        return "location changed" if old.location else "location set"
