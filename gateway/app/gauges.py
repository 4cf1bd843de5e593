"""What /metrics reports, read from the database when it is scraped.

Every number comes from the tables at the moment of asking, never from counters kept in a
worker's memory: several gateways may share one database, a restart forgets nothing, and
the console (which sends nothing) sees what the daemons did. Each query walks an index or
a one-hour range of one, so a scrape stays cheap with hundreds of thousands of messages.

Send latency is a histogram of `sent_at - created_at` for the messages sent in the last
hour, bucketed in SQL (one row comes back, however many were sent). A histogram rather
than quantiles: Prometheus adds buckets across gateways and computes any quantile from
them (histogram_quantile), while quantiles cannot be added, and only PostgreSQL has
percentile_cont. Because the window slides, the buckets can fall: it is a gauge histogram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Float, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from gateway.core.clock import utcnow
from gateway.core.hook_models import WebhookEvent
from gateway.core.models import InboundMessage, Message, Sighting
from gateway.modems.status import ModemView, all_modems

WINDOW = timedelta(hours=1)
# Seconds from queued to handed over: a duty text takes a second or two; a broadcast to a
# big list waits behind the rest for many minutes, which is normal.
LATENCY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class Latency:
    """Cumulative counts per upper bound (seconds), as Prometheus buckets are."""

    buckets: tuple[tuple[float, int], ...]
    count: int
    total_seconds: float


@dataclass(frozen=True)
class Snapshot:
    messages: dict[tuple[str, str], int]  # (status, channel) -> messages
    latency: Latency
    inbound_total: int
    inbound_last_hour: int
    sightings_open: int
    sightings_escalated: int
    modems: list[ModemView]
    webhook_backlog: int


def snapshot(engine: Engine) -> Snapshot:
    since = utcnow() - WINDOW
    with engine.connect() as conn:
        messages = _messages(conn)
        latency = _latency(conn, since)
        inbound_total, inbound_hour = _inbound(conn, since)
        open_, escalated = _sightings(conn)
        backlog = webhook_backlog(conn)
    return Snapshot(
        messages,
        latency,
        inbound_total,
        inbound_hour,
        open_,
        escalated,
        all_modems(engine),
        backlog,
    )


def _messages(conn: Connection) -> dict[tuple[str, str], int]:
    # Status and channel lead ix_messages_claim: a covering-index scan, no table reads.
    query = select(Message.status, Message.channel, func.count()).group_by(
        Message.status, Message.channel
    )
    return {(status, channel): int(n) for status, channel, n in conn.execute(query)}


def _seconds(conn: Connection) -> ColumnElement[float]:
    if conn.dialect.name == "sqlite":
        days = func.julianday(Message.sent_at) - func.julianday(Message.created_at)
        return cast(days * 86400.0, Float)
    return cast(func.extract("epoch", Message.sent_at - Message.created_at), Float)


def _latency(conn: Connection, since: object) -> Latency:
    seconds = _seconds(conn)
    columns: list[ColumnElement[Any]] = [
        func.sum(case((seconds <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS
    ]
    columns += [func.count(), func.coalesce(func.sum(seconds), 0.0)]
    # The range on sent_at walks ix_messages_sent over the last hour only.
    row = conn.execute(select(*columns).where(Message.sent_at >= since)).one()
    count = int(row[-2])
    buckets = tuple(
        (bound, int(n or 0)) for bound, n in zip(LATENCY_BUCKETS, row[:-2], strict=True)
    )
    return Latency(buckets, count, float(row[-1]))


def _inbound(conn: Connection, since: object) -> tuple[int, int]:
    """The highest id stands for "received ever": it only grows, even when the privacy
    retention deletes old texts (a row count would fall and read as a counter reset)."""
    total = conn.execute(select(func.coalesce(func.max(InboundMessage.id), 0))).scalar_one()
    hour = conn.execute(
        select(func.count()).where(InboundMessage.received_at >= since)
    ).scalar_one()
    return int(total), int(hour)


def _sightings(conn: Connection) -> tuple[int, int]:
    """Open ones, and of those the ones passed on past the primary desk (ix_sightings_escalate)."""
    query = select(
        func.count(), func.coalesce(func.sum(case((Sighting.escalation > 0, 1), else_=0)), 0)
    ).where(Sighting.status == "open")
    open_, escalated = conn.execute(query).one()
    return int(open_), int(escalated)


def webhook_backlog(conn: Connection) -> int:
    """Webhook events not yet delivered (a 2xx sets delivered_at; ix_webhook_events_due)."""
    query = select(func.count()).where(WebhookEvent.delivered_at.is_(None))
    return int(conn.execute(query).scalar_one())
