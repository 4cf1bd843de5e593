"""The control room's clock: the database keeps naive UTC (`gateway.core.db.utcnow`),
people read and type the gateway's local time (`gateway.timezone` in the config).

The only place that converts between the two. Around the clock changes a wall time can be
missing or doubled; zoneinfo's rule (PEP 495, fold=0) decides, the same everywhere:
a time the spring change skips (01:30 in London on the last Sunday of March) is read
with the offset before the change, so it lands an hour later on the new clock (02:30
BST); a time the autumn change repeats (01:30 on the last Sunday of October) is the
first of the two (BST, 00:30 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from gateway.core.errors import GatewayError

Zone = str | tzinfo  # an IANA name ("Europe/London") or the zone itself


class BadTime(GatewayError, ValueError):
    """A time that cannot be read; the caller adds which input it was."""


def zone(name: Zone) -> tzinfo:
    """The zone named (ZoneInfo keeps its own cache, so asking twice costs nothing)."""
    return ZoneInfo(name) if isinstance(name, str) else name


def utcnow() -> datetime:
    """Naive UTC: what every timestamp column holds (portable across SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(moment: datetime) -> datetime:
    """As the database stores it. An aware time is converted; a naive one is taken to be
    UTC already and returned as it is."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def to_utc(wall: datetime, where: Zone) -> datetime:
    """A wall-clock time in `where` (unless it carries its own offset) as naive UTC."""
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=zone(where))
    return naive_utc(wall)


def to_local(moment: datetime, where: Zone) -> datetime:
    """A time from the database (naive UTC), or any aware time, as the clock on the
    wall in `where` shows it (aware)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(where))


def parse_local(text: str, where: Zone) -> datetime:
    """An ISO time such as 2026-11-23T06:30 as naive UTC; without an offset it is read
    on the wall clock of `where`."""
    try:
        return to_utc(datetime.fromisoformat(text), where)
    except (ValueError, OverflowError):  # OverflowError: a date at the edge of the calendar
        raise BadTime(f"{text!r} is not an ISO time such as 2026-11-23T06:30") from None
