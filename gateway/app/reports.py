"""Counts and spreadsheet exports for the console's reports and dashboard.

Portable SQL only, so the same queries run on SQLite and PostgreSQL: sightings are put
into days in Python, in the gateway's time zone, because the control room's day is a
local day and the two databases share no date functions. Every query is bounded by an
indexed time range.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from gateway.alerts.service import info_of, phase
from gateway.core import clock
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import Alert, InboundMessage, Message, Sighting, SubscriberList
from gateway.core.privacy import mask
from gateway.outbox.queue import STATES
from gateway.subscribers.csv_rows import escape_cell

MAX_DAYS = 366  # a report longer than a year is a database dump, not a report


class ReportError(GatewayError, ValueError):
    """A period that cannot be reported on; the text says why."""


@dataclass(frozen=True)
class Period:
    """Local dates `first` to `last`, both included."""

    first: date
    last: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ReportError("the period ends before it starts")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise ReportError(f"a report covers at most {MAX_DAYS} days")

    def _utc(self, day: date) -> datetime:
        return clock.to_utc(datetime.combine(day, time(0)), self.zone)

    @property
    def start(self) -> datetime:
        """The first local midnight, as naive UTC (inclusive)."""
        return self._utc(self.first)

    @property
    def end(self) -> datetime:
        """The local midnight after the last day, as naive UTC (exclusive)."""
        return self._utc(self.last + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def last_days(days: int, zone: ZoneInfo, now: datetime | None = None) -> Period:
    """The `days` local days up to and including today."""
    today = clock.to_local(now or utcnow(), zone).date()
    return Period(today - timedelta(days=days - 1), today, zone)


def sightings_per_day(engine: Engine, period: Period) -> list[tuple[date, int]]:
    """Every day of the period with its count, days without a report included."""
    with engine.connect() as conn:
        times = conn.scalars(
            select(Sighting.created_at).where(
                Sighting.created_at >= period.start, Sighting.created_at < period.end
            )
        ).all()
    per_day = Counter(clock.to_local(t, period.zone).date() for t in times)
    return [(day, per_day.get(day, 0)) for day in period.days()]


def sightings_per_place(engine: Engine, period: Period, limit: int = 20) -> list[tuple[str, int]]:
    """Places by how often they were reported, most first; "" is "no place given"."""
    n = func.count()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sighting.place, n)
            .where(Sighting.created_at >= period.start, Sighting.created_at < period.end)
            .group_by(Sighting.place)
            .order_by(n.desc(), Sighting.place)
            .limit(limit)
        ).all()
    return [(str(place), int(count)) for place, count in rows]


def messages_last_hour(engine: Engine, now: datetime | None = None) -> tuple[int, int]:
    """(sent, received) in the hour before `now`."""
    since = (now or utcnow()) - timedelta(hours=1)
    with engine.connect() as conn:
        sent = conn.scalar(
            select(func.count()).select_from(Message).where(Message.sent_at >= since)
        )
        received = conn.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.received_at >= since)
        )
    return int(sent or 0), int(received or 0)


SIGHTING_COLUMNS = (
    "ref", "received", "status", "hot", "registrations", "partial registrations", "colours",
    "makes", "place", "postcodes", "grid refs", "what3words", "roads", "people", "dogs",
    "vehicles", "direction", "sender", "sender name", "known sender", "text",
)  # fmt: skip


def sightings_csv(engine: Engine, period: Period, *, show_numbers: bool) -> str:
    """Every sighting of the period, oldest first, for a spreadsheet. Senders' numbers are
    personal data: masked unless `show_numbers`."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Sighting)
            .where(Sighting.created_at >= period.start, Sighting.created_at < period.end)
            .order_by(Sighting.created_at, Sighting.id)
        ).all()
    return _csv(SIGHTING_COLUMNS, (_sighting_row(r, period.zone, show_numbers) for r in rows))


def _sighting_row(row: Any, zone: ZoneInfo, show_numbers: bool) -> list[object]:
    parsed = json.loads(row.parsed or "{}")

    def joined(key: str) -> str:
        return "; ".join(str(x) for x in parsed.get(key, []))

    def count(key: str) -> object:
        return "" if parsed.get(key) is None else parsed[key]

    return [
        row.ref,
        clock.to_local(row.created_at, zone).isoformat(timespec="seconds"),
        row.status,
        "yes" if row.hot else "",
        row.registrations.replace(";", "; "),
        joined("partial_registrations"),
        joined("colours"),
        joined("makes"),
        row.place,
        joined("postcodes"),
        joined("grid_refs"),
        joined("what3words"),
        joined("roads"),
        count("people"),
        count("dogs"),
        count("vehicles"),
        parsed.get("direction", ""),
        row.sender if show_numbers else mask(row.sender),
        row.sender_name,
        "yes" if row.known_sender else "no",
        row.text,
    ]


ALERT_COLUMNS = ("ref", "created", "created by", "status", "lists", "recipients", *STATES, "text")


@dataclass(frozen=True)
class AlertsIn:
    """The alerts created in a period, oldest first, their lists' names, and each one's
    messages by state: what the CSV report and the workbook both show."""

    alerts: Sequence[Any]
    names: dict[int, str]
    states: dict[int, dict[str, int]]

    def lists(self, alert: Any) -> str:
        return "; ".join(
            self.names.get(int(i), f"list {i}") for i in alert.list_ids.split(",") if i
        )


def alerts_in(engine: Engine, period: Period) -> AlertsIn:
    with engine.connect() as conn:
        alerts = conn.execute(
            select(Alert)
            .where(Alert.created_at >= period.start, Alert.created_at < period.end)
            .order_by(Alert.created_at, Alert.id)
        ).all()
        names = dict(conn.execute(select(SubscriberList.id, SubscriberList.name)).all())
        states: dict[int, dict[str, int]] = {}
        if alerts:
            counted = conn.execute(
                select(Message.alert_id, Message.status, func.count())
                .where(Message.alert_id.in_([a.id for a in alerts]))
                .group_by(Message.alert_id, Message.status)
            ).all()
            for alert_id, status, n in counted:
                states.setdefault(alert_id or 0, {})[status] = int(n)
    return AlertsIn(alerts, names, states)


def alerts_csv(engine: Engine, period: Period) -> str:
    """Every alert created in the period, oldest first, with its messages by state."""
    found = alerts_in(engine, period)
    alerts, states = found.alerts, found.states
    rows = (
        [
            a.ref,
            clock.to_local(a.created_at, period.zone).isoformat(timespec="seconds"),
            a.created_by,
            phase(info_of(a), states.get(a.id, {})),
            found.lists(a),
            a.recipients,
            *(states.get(a.id, {}).get(s, 0) for s in STATES),
            a.text,
        ]
        for a in alerts
    )
    return _csv(ALERT_COLUMNS, rows)


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text; a cell a spreadsheet would run as a formula is quoted (subscribers.csv_rows)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_cell(str(cell)) for cell in row])
    return out.getvalue()
