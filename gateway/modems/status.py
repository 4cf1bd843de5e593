"""Each modem's last known state, so `smsgw status` and the console can show it.

Written by the daemon only when something changes; read by anyone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, exists, func, insert, literal_column, or_, select, update

from gateway.core import events
from gateway.core.db import utcnow
from gateway.core.models import Message, ModemStatus
from hardware.modem import NetworkState

log = logging.getLogger(__name__)

STATES = (
    "starting",
    "ready",
    "no-sim",
    "pin-required",
    "pin-refused",
    "not-registered",
    "no-signal",
    "unresponsive",
    "disconnected",
    "resting",
    "stopped",
)
# What a modem that was ready can fall into: modem.down for the webhooks ("stopped" is the
# daemon's own shutdown, "starting" a restart; neither is a fault).
FAULTS = tuple(s for s in STATES if s not in ("starting", "ready", "stopped"))
REGISTERED = ("home", "roaming")  # hardware.modem.NetworkState.registered


@dataclass(frozen=True)
class ModemView:
    name: str
    state: str
    detail: str
    node: str
    manufacturer: str
    model: str
    imei: str
    operator: str
    rssi: int | None
    sent_today: int
    updated_at: datetime
    registration: str = ""
    sim: str = ""
    port: str = ""
    last_error: str = ""
    resting_until: datetime | None = None
    day_left: int | None = None
    recipients_left: int | None = None
    channel: str = "sim"  # "provider" or "email" for the senders beside the modems

    @property
    def dbm(self) -> int | None:
        return NetworkState("", rssi=self.rssi).dbm

    @property
    def bars(self) -> int:
        return NetworkState("", rssi=self.rssi).bars

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "detail": self.detail,
            "node": self.node,
            "port": self.port,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "imei": self.imei,
            "operator": self.operator,
            "registration": self.registration,
            "sim": self.sim,
            "rssi": self.rssi,
            "dbm": self.dbm,
            "bars": self.bars,
            "sent_today": self.sent_today,
            "day_left": self.day_left,
            "recipients_left": self.recipients_left,
            "channel": self.channel,
            "last_error": self.last_error,
            "resting_until": _iso(self.resting_until),
            "updated_at": _iso(self.updated_at),
        }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() + "Z" if when else None


def record(engine: Engine, name: str, node: str, **values: object) -> None:
    """Upsert one modem's row with the given columns (state, detail, rssi, ...)."""
    values = {**values, "node": node, "updated_at": utcnow()}
    with engine.begin() as conn:
        if values.get("state") in FAULTS and events.wanted("modem.down"):
            was = conn.scalar(select(ModemStatus.state).where(ModemStatus.name == name))
            if was == "ready":
                data = {"name": name, "state": values["state"], "detail": values.get("detail", "")}
                events.emit_in(conn, "modem.down", data)
        if conn.execute(
            update(ModemStatus).where(ModemStatus.name == name).values(values)
        ).rowcount:
            return
        conn.execute(insert(ModemStatus).values(name=name, **{"state": "starting", **values}))


class Recorder:
    """Writes one modem's row for its worker. A write that fails is logged and let go:
    the row is for people to read, and the modem carries on without it."""

    def __init__(self, engine: Engine, name: str, node: str) -> None:
        self.engine = engine
        self.name = name
        self.node = node

    def __call__(self, **values: object) -> None:
        try:
            record(self.engine, self.name, self.node, **values)
        except Exception:
            log.exception("could not record the state of modem %s", self.name)


def all_modems(engine: Engine) -> list[ModemView]:
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    modem = func.coalesce(Message.modem, literal_column("''"))  # one expression, no binds
    with engine.connect() as conn:
        sent = dict(
            conn.execute(
                # Grouped by an expression, so SQLite walks ix_messages_sent over today's
                # rows instead of the whole table in modem order.
                select(modem, func.count()).where(Message.sent_at >= midnight).group_by(modem)
            ).all()
        )
        rows = conn.execute(select(ModemStatus).order_by(ModemStatus.name)).all()
    return [
        ModemView(
            r.name,
            r.state,
            r.detail,
            r.node,
            r.manufacturer,
            r.model,
            r.imei,
            r.operator,
            r.rssi,
            int(sent.get(r.name, 0)),
            r.updated_at,
            r.registration,
            r.sim,
            r.port,
            r.last_error,
            r.resting_until,
            r.day_left,
            r.recipients_left,
            r.channel,
        )
        for r in rows
    ]


def others_can_send(engine: Engine, name: str, *, heard_within: float) -> bool:
    """Whether a modem (not a hosted service) other than `name`, on any gateway, is
    ready, has recorded its state in the last `heard_within` seconds (a dead gateway's
    rows say "ready" for good), has some of its daily budget left, and is registered at
    home or roaming or has sent in that time. Only then may `name` rest for long (or a
    hosted service in failover stand back). "ready" alone is not enough: a modem whose
    registration is unknown (+CREG stat 4, or libgammu unable to ask) is let try, but
    nothing says its sends go."""
    since = utcnow() - timedelta(seconds=heard_within)
    sent_lately = exists().where(Message.modem == ModemStatus.name, Message.sent_at >= since)
    with engine.connect() as conn:
        found = conn.execute(
            select(ModemStatus.name)
            .where(
                ModemStatus.name != name,
                ModemStatus.channel == "sim",
                ModemStatus.state == "ready",
                ModemStatus.updated_at >= since,
                or_(ModemStatus.day_left.is_(None), ModemStatus.day_left > 0),
                or_(ModemStatus.registration.in_(REGISTERED), sent_lately),
            )
            .limit(1)
        ).first()
    return found is not None


def recent_sends(engine: Engine, modem: str) -> list[tuple[float, str]]:
    """This modem's sends in the last 24 hours, as (epoch seconds, number): seeds its budget."""
    since = utcnow() - timedelta(days=1)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.sent_at, Message.to).where(
                Message.modem == modem, Message.sent_at >= since
            )
        ).all()
    now_epoch, now = time.time(), utcnow()
    return [(now_epoch - (now - sent).total_seconds(), to) for sent, to in rows if sent]
