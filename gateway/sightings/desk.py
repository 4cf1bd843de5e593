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
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, select, update

from gateway.core import audit
from gateway.core.config import Config
from gateway.core.db import temporary_ref, utcnow
from gateway.core.models import Message, Sighting, SightingVehicle, Subscriber
from gateway.inbox.store import Received, texts_in_window
from gateway.outbox.queue import Outbox
from gateway.rota.service import OperatorInfo, Rota
from gateway.sightings import parser as sighting_parser
from gateway.sightings.plates import normalise_registration

log = logging.getLogger(__name__)

FORWARD_LIMIT = 160  # one GSM part: an officer's phone should buzz once per report
LEVELS = ("primary", "backup", "fallback")
STATUSES = ("open", "acknowledged", "closed")


@dataclass(frozen=True)
class SightingInfo:
    id: int
    ref: str
    sender: str
    sender_name: str
    known_sender: bool
    text: str
    registrations: tuple[str, ...]
    place: str
    status: str
    hot: bool
    created_at: datetime
    parsed: dict[str, object]


def found(info: SightingInfo, field: str) -> list[str]:
    """One list the parser filled ("grid_refs", "colours"...), as strings; [] if absent."""
    value = info.parsed.get(field)
    return [str(x) for x in value if x] if isinstance(value, list) else []


def plate_pattern(text: str) -> str:
    """What a registration search matches against plates with their spaces taken out:
    a whole plate however written ("kx19abc" finds "KX19 ABC"), or any piece of one."""
    whole = normalise_registration(text)
    return re.sub(r"[^A-Z0-9]", "", (whole or text).upper())


def _info(row: Sighting) -> SightingInfo:
    regs = tuple(r for r in row.registrations.split(";") if r)
    return SightingInfo(
        row.id,
        row.ref,
        row.sender,
        row.sender_name,
        row.known_sender,
        row.text,
        regs,
        row.place,
        row.status,
        row.hot,
        row.created_at,
        json.loads(row.parsed or "{}"),
    )


class Sightings:
    def __init__(self, engine: Engine, config: Config, outbox: Outbox, rota: Rota) -> None:
        self.engine = engine
        self.config = config
        self.outbox = outbox
        self.rota = rota
        gazetteer = config.rota.gazetteer or sighting_parser.DEFAULT_GAZETTEER
        self.gazetteer = tuple(gazetteer)

    def file(self, msg: Received) -> SightingInfo:
        """File a report, forward it to the officer on duty, thank the sender: all in one
        transaction, once per text (a text routed again finds its sighting filed)."""
        parsed = sighting_parser.parse(msg.text, self.gazetteer)
        now = utcnow()
        flood = self.config.inbound
        count = texts_in_window(self.engine, msg.sender, flood.flood_window)
        with self.engine.begin() as conn:
            filed = conn.execute(select(Sighting).where(Sighting.inbound_id == msg.id)).first()
            if filed is not None:
                log.info("inbound message %d was filed already as %s", msg.id, filed.ref)
                return _info(filed)  # type: ignore[arg-type]
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
            row = conn.execute(select(Sighting).where(Sighting.id == sid)).one()
            info = _info(row)  # type: ignore[arg-type]
            if count > flood.flood_limit:
                if count == flood.flood_limit + 1:  # the text that crossed the limit
                    self._flood_notice_in(conn, info, count)
                log.warning("sighting %s: its sender is flooding; not forwarded", ref)
            else:
                # The forward first: on a real modem each send takes about 3 s, and the
                # officer's copy must not wait behind the thanks (duty traffic besides).
                self._forward_in(conn, info, 0, now)
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
        return [_info(r) for r in rows]  # type: ignore[arg-type]

    def short_form(self, info: SightingInfo) -> str:
        """One SMS part: what was read from the report (plates, grid reference, postcode,
        what3words, place) and a number to call back come first, and the free text is
        cut to fit; it repeats what came first, so nothing is lost that was found."""
        where = [
            *found(info, "grid_refs"),
            *found(info, "postcodes"),
            *(f"///{w}" for w in found(info, "what3words")),
        ]
        head = " ".join(
            x
            for x in (
                info.ref,
                "HOT" if info.hot else "",
                ", ".join(info.registrations),
                *where,
                info.place,
            )
            if x
        )
        who = " ".join(x for x in (info.sender_name, info.sender) if x)
        text = f"{head} from {who}: {info.text}"
        return text if len(text) <= FORWARD_LIMIT else text[: FORWARD_LIMIT - 3] + "..."

    def _flood_notice_in(self, conn: Connection, info: SightingInfo, count: int) -> None:
        """Tell whoever would have had the forward that this sender's reports stop coming."""
        primary, backup = self.rota.on_duty()
        target = primary or backup
        number = target.phone if target else self.config.rota.fallback_number
        if not number:
            return
        minutes = round(self.config.inbound.flood_window / 60)
        who = " ".join(x for x in (info.sender_name, info.sender) if x)
        text = (
            f"{info.ref}: {who} sent {count} texts in {minutes} min. This one and the next "
            "are filed but not forwarded (flood): see the console."
        )
        key = f"flood:{info.id}"
        self.outbox.enqueue_in(conn, number, text[:FORWARD_LIMIT], "duty", kind="direct", key=key)

    def forward(self, info: SightingInfo, level: int, now: datetime | None = None) -> str:
        """Send to the primary (0), backup (1) or desk (2); during a gap, straight to the desk."""
        with self.engine.begin() as conn:
            done = self._forward_in(conn, info, level, now or utcnow())
        self.outbox.wake()
        return done

    def _forward_in(self, conn: Connection, info: SightingInfo, level: int, now: datetime) -> str:
        """The forward and the next escalation time, in the caller's transaction: both are
        written or neither. Duty priority: it overtakes any broadcast in the queue."""
        primary, backup = self.rota.on_duty()
        target: OperatorInfo | None = None
        if level == 0 and primary is not None:
            target = primary
        elif level <= 1 and backup is not None:
            level, target = 1, backup
        else:
            level = 2
        number = target.phone if target else self.config.rota.fallback_number
        after = self.config.rota.escalate_after
        conn.execute(
            update(Sighting)
            .where(Sighting.id == info.id)
            .values(
                escalation=level,
                escalate_at=now + timedelta(seconds=after) if level < 2 else None,
            )
        )
        if not number:
            log.error("sighting %s: nobody on duty and no rota.fallback_number", info.ref)
            return ""
        self.outbox.enqueue_in(
            conn,
            number,
            self.short_form(info),
            "duty",
            kind="direct",
            key=f"forward:{info.id}:{level}",  # each step once, and what a bare ACK reads
        )
        log.info("sighting %s forwarded to the %s", info.ref, LEVELS[level])
        return LEVELS[level]

    def escalate_due(self, now: datetime | None = None) -> list[str]:
        """Move every unacknowledged sighting whose wait is over one step up; claimed with
        a conditional update in the transaction of its forward, so two gateways never
        escalate one twice and a crash never loses a step."""
        now = now or utcnow()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(Sighting.id, Sighting.escalation).where(
                    Sighting.status == "open", Sighting.escalate_at <= now
                )
            ).all()
        moved = []
        for sid, level in due:
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(Sighting)
                    .where(
                        Sighting.id == sid,
                        Sighting.status == "open",
                        Sighting.escalation == level,
                        Sighting.escalate_at <= now,
                    )
                    .values(escalate_at=None)
                ).rowcount
                if won:
                    row = conn.execute(select(Sighting).where(Sighting.id == sid)).one()
                    info = _info(row)  # type: ignore[arg-type]
                    moved.append(f"{info.ref}:{self._forward_in(conn, info, level + 1, now)}")
        if moved:
            self.outbox.wake()
        return moved

    def acknowledge(self, ref: str, operator: OperatorInfo) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(Sighting)
                .where(Sighting.ref == ref, Sighting.status == "open")
                .values(
                    status="acknowledged",
                    acknowledged_by=operator.id,
                    acknowledged_at=utcnow(),
                    escalate_at=None,
                )
            ).rowcount
            if not done:  # the same officer's ACK handled twice is still theirs
                theirs = conn.scalar(
                    select(func.count())
                    .select_from(Sighting)
                    .where(Sighting.ref == ref, Sighting.acknowledged_by == operator.id)
                )
                return bool(theirs)
        audit.record(self.engine, operator.name, "sighting-acknowledged", ref)
        return True

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
        return _info(row) if row else None  # type: ignore[arg-type]

    def latest_open(self) -> SightingInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Sighting)
                .where(Sighting.status == "open")
                .order_by(Sighting.id.desc())
                .limit(1)
            ).first()
        return _info(row) if row else None  # type: ignore[arg-type]

    def get(self, ref: str) -> SightingInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Sighting).where(Sighting.ref == ref.upper())).first()
        return _info(row) if row else None  # type: ignore[arg-type]

    def recent(self, limit: int = 50) -> list[SightingInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Sighting).order_by(Sighting.id.desc()).limit(limit)).all()
        return [_info(r) for r in rows]  # type: ignore[arg-type]

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
        return [_info(r) for r in rows]  # type: ignore[arg-type]

    def acknowledge_by_user(self, ref: str, username: str) -> bool:
        """Taken at the console: like an SMS ACK it stops the escalation. A console user is
        not an operator, so the audit log, not `acknowledged_by`, records who took it."""
        ref = ref.upper()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(Sighting)
                .where(Sighting.ref == ref, Sighting.status == "open")
                .values(status="acknowledged", acknowledged_at=utcnow(), escalate_at=None)
            ).rowcount
        if done:
            audit.record(self.engine, username, "sighting-acknowledged", ref)
        return bool(done)

    def counts(self) -> dict[str, int]:
        """Reports in each status, every status present."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Sighting.status, func.count()).group_by(Sighting.status)
            ).all()
        found = {status: int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in STATUSES}
