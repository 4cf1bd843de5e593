"""Received texts: parts stored as read, joined into messages, each stored once.

A part is committed before it is deleted from the SIM (the worker's order), and the
unique key on parts makes a second read of the same SMS (a failed delete, a network
redelivery) a no-op. Parts may come in any order; a set still missing parts after
`partial_timeout` is stored as an incomplete message rather than held forever.

Whatever arrives is kept. Characters a database refuses (PostgreSQL takes no NUL in text;
no database takes half a UTF-16 surrogate pair) are replaced, the message carries a note
saying so and its part keeps the raw PDU. A message is routed at least once: `routed_at`
is set only when every handler has finished, and unrouted ones are routed again.

An officer's PIN is never written: a command that carries one (`RELAY S1042 DOCKING 4821`)
is stored as `RELAY S1042 DOCKING ****`, in the part and the message, its digest taken of
the redacted text and its raw PDU not kept; the PIN travels to the router in memory only.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.core.config import InboundConfig
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage, InboundPart, UndecodablePdu
from gateway.core.privacy import mask
from gateway.inbox.officer_words import redact

log = logging.getLogger(__name__)

SINGLE = -1  # concat_ref of a one-part message
GROUP_WINDOW = timedelta(hours=24)  # concat refs roll over; parts further apart are not one text
ROUTE_ATTEMPTS = 3  # tries at routing a text before it waits for an operator
SENDER_MAX = 32  # the sender column's length (PostgreSQL enforces it)
_NUL = "\u2400"  # SYMBOL FOR NULL: shows where the sender's phone put a NUL


@dataclass(frozen=True)
class IncomingPart:
    sender: str
    sc_timestamp: datetime
    text: str
    concat_ref: int = SINGLE
    part: int = 1
    parts: int = 1


@dataclass(frozen=True)
class Received:
    id: int
    sender: str
    text: str
    sc_timestamp: datetime
    received_at: datetime
    complete: bool
    parts: int
    routed: bool = True  # False until routing finished (or while it keeps failing)
    route_error: str = ""  # why routing last failed
    note: str = ""  # what was replaced to store the text
    # The PIN taken out of an officer's command: in memory only, for the routing that
    # follows the store; a text routed again from the database has none.
    pin: str = field(default="", repr=False, compare=False)


MessageHandler = Callable[[Received], None]


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def texts_in_window(engine: Engine, sender: str, window: float) -> int:
    """Texts stored from `sender` in the last `window` seconds (this one included): the
    flood limit's count, for keyword replies, officers' refusals and sightings alike."""
    since = utcnow() - timedelta(seconds=window)
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.sender == sender, InboundMessage.received_at >= since)
        )
    return int(count or 0)


def storable(text: str) -> tuple[str, int]:
    """The text with what no database can hold replaced, and how many were replaced:
    NUL becomes a visible symbol, a lone surrogate U+FFFD."""
    out = []
    changed = 0
    for ch in text:
        if ch == "\x00":
            out.append(_NUL)
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")
        else:
            out.append(ch)
            continue
        changed += 1
    return ("".join(out), changed) if changed else (text, 0)


class Inbox:
    def __init__(self, engine: Engine, config: InboundConfig) -> None:
        self.engine = engine
        self.config = config

    def store(self, modem: str, part: IncomingPart, pdu: str | None = None) -> list[Received]:
        """Store one part; returns the messages it completed (none for a duplicate).

        `pdu`, the raw part, is kept when its text had to be altered to be stored.
        """
        now = utcnow()
        text, replaced = storable(part.text)
        text, pin = redact(text)
        sender, bad_sender = storable(part.sender)
        altered = bool(replaced or bad_sender or len(sender) > SENDER_MAX)
        row = {
            "sender": sender[:SENDER_MAX],
            "sc_timestamp": _naive_utc(part.sc_timestamp),
            "concat_ref": part.concat_ref,
            "part": part.part,
            "parts": part.parts,
            # Of what is stored: a hash of a 4-digit PIN's text would give the PIN away.
            "digest": _digest(text) if pin else _digest(part.text),
            "text": text,
            "received_at": now,
            "modem": modem,
            "pdu": pdu if altered and not pin else None,  # a PDU would hold the PIN
        }
        note = f"{replaced} character(s) the database cannot hold replaced" if replaced else ""
        if altered and not note:
            note = "sender altered to be stored"
        if altered and pin:
            note += " (raw PDU not kept: it carried a PIN)"
        stored = IncomingPart(
            str(row["sender"]), part.sc_timestamp, text, part.concat_ref, part.part, part.parts
        )
        try:
            with Session(self.engine) as conn, conn.begin():
                part_id = conn.execute(
                    insert(InboundPart).returning(InboundPart.id), row
                ).scalar_one()
                done = self._assemble(conn, stored, part_id, now, modem)
                if note:
                    for msg in done:
                        conn.execute(
                            update(InboundMessage)
                            .where(InboundMessage.id == msg.id)
                            .values(note=note)
                        )
        except IntegrityError:
            log.info("inbound part from %s read again; already stored", mask(part.sender))
            return []
        if note:
            kept = " (raw PDU kept)" if row["pdu"] is not None else ""
            log.warning("inbound part from %s: %s%s", mask(part.sender), note, kept)
        if pin and part.parts <= 1:
            done = [replace(msg, pin=pin) for msg in done]
        for msg in done:
            log.info(
                "inbound message %d stored (%d part(s), complete=%s)",
                msg.id,
                msg.parts,
                msg.complete,
            )
        return done

    def _assemble(
        self, conn: Session, part: IncomingPart, part_id: int, now: datetime, modem: str
    ) -> list[Received]:
        if part.parts <= 1:
            return [self._create(conn, [part_id], complete=True, now=now, modem=modem)]
        since = now - GROUP_WINDOW
        partial = conn.execute(
            select(InboundMessage.id)
            .where(
                InboundMessage.sender == part.sender,
                InboundMessage.concat_ref == part.concat_ref,
                InboundMessage.parts == part.parts,
                InboundMessage.complete.is_(False),
                InboundMessage.received_at >= since,
            )
            .order_by(InboundMessage.id.desc())
            .limit(1)
        ).scalar()
        if partial is not None:  # a late part of a text already stored as incomplete
            conn.execute(
                update(InboundPart).where(InboundPart.id == part_id).values(message_id=partial)
            )
            return [self._rebuild(conn, partial)]
        ids = list(
            conn.scalars(
                select(InboundPart.id).where(
                    InboundPart.message_id.is_(None),
                    InboundPart.sender == part.sender,
                    InboundPart.concat_ref == part.concat_ref,
                    InboundPart.parts == part.parts,
                    InboundPart.received_at >= since,
                )
            )
        )
        if len({*self._part_numbers(conn, ids)}) < part.parts:
            return []
        return [self._create(conn, ids, complete=True, now=now, modem=modem)]

    @staticmethod
    def _part_numbers(conn: Session, ids: list[int]) -> list[int]:
        return list(conn.scalars(select(InboundPart.part).where(InboundPart.id.in_(ids))))

    def _create(
        self, conn: Session, part_ids: list[int], *, complete: bool, now: datetime, modem: str
    ) -> Received:
        first = (
            conn.execute(
                select(InboundPart).where(InboundPart.id.in_(part_ids)).order_by(InboundPart.part)
            )
            .scalars()
            .first()
        )
        assert first is not None
        msg_id = conn.execute(
            insert(InboundMessage).returning(InboundMessage.id),
            {
                "sender": first.sender,
                "text": "",
                "sc_timestamp": first.sc_timestamp,
                "received_at": now,
                "complete": complete,
                "parts": first.parts,
                "concat_ref": first.concat_ref,
                "modem": modem,
            },
        ).scalar_one()
        conn.execute(
            update(InboundPart).where(InboundPart.id.in_(part_ids)).values(message_id=msg_id)
        )
        return self._rebuild(conn, msg_id)

    def _rebuild(self, conn: Session, msg_id: int) -> Received:
        """Join the parts in order; a missing part is marked so nobody mistakes a gap."""
        msg = conn.get_one(InboundMessage, msg_id)
        by_number: dict[int, str] = {}
        for p in conn.execute(
            select(InboundPart).where(InboundPart.message_id == msg_id)
        ).scalars():
            by_number.setdefault(p.part, p.text)
        complete = len(by_number) >= msg.parts
        text = "".join(
            by_number.get(n, f"[part {n} of {msg.parts} missing]") for n in range(1, msg.parts + 1)
        )
        text, pin = redact(text)
        if pin:  # a command in several parts (padded out): its first part holds it all
            for n in range(1, msg.parts + 1):
                conn.execute(
                    update(InboundPart)
                    .where(InboundPart.message_id == msg_id, InboundPart.part == n)
                    .values(text=text if n == 1 else "", pdu=None)
                )
        conn.execute(
            update(InboundMessage)
            .where(InboundMessage.id == msg_id)
            .values(text=text, complete=complete)
        )
        return Received(
            msg.id,
            msg.sender,
            text,
            msg.sc_timestamp,
            msg.received_at,
            complete,
            msg.parts,
            msg.routed_at is not None,
            pin=pin,
        )

    def flush_partials(self, now: datetime | None = None) -> list[Received]:
        """Store as incomplete every set whose missing parts are overdue."""
        now = now or utcnow()
        cutoff = now - timedelta(seconds=self.config.partial_timeout)
        done: list[Received] = []
        with Session(self.engine) as conn, conn.begin():
            stale = conn.execute(
                select(
                    InboundPart.sender, InboundPart.concat_ref, InboundPart.parts, InboundPart.modem
                )
                .where(InboundPart.message_id.is_(None), InboundPart.received_at < cutoff)
                .distinct()
            ).all()
            for sender, ref, parts, modem in stale:
                ids = list(
                    conn.scalars(
                        select(InboundPart.id).where(
                            and_(
                                InboundPart.message_id.is_(None),
                                InboundPart.sender == sender,
                                InboundPart.concat_ref == ref,
                                InboundPart.parts == parts,
                            )
                        )
                    )
                )
                done.append(self._create(conn, ids, complete=False, now=now, modem=modem))
        for msg in done:
            log.warning(
                "inbound message %d stored incomplete: parts missing after %.0f s",
                msg.id,
                self.config.partial_timeout,
            )
        return done

    def store_undecodable(self, modem: str, pdu: str, error: str) -> None:
        """Keep a PDU that could not become a message (unreadable, or refused by the
        database), so it is never silently dropped; the console and doctor count them."""
        with Session(self.engine) as conn, conn.begin():
            conn.execute(
                insert(UndecodablePdu),
                {
                    "modem": modem,
                    "pdu": storable(pdu)[0][:2000],
                    "error": storable(error)[0][:2000],
                    "received_at": utcnow(),
                },
            )
        log.error("unstorable SMS on %s kept for inspection: %s", modem, error)

    def mark_routed(self, msg_id: int) -> None:
        with Session(self.engine) as conn, conn.begin():
            conn.execute(
                update(InboundMessage)
                .where(InboundMessage.id == msg_id)
                .values(routed_at=utcnow(), route_error="")
            )

    def route_failed(self, msg_id: int, error: str) -> int:
        """Count a failed try at routing; returns the tries so far."""
        with Session(self.engine) as conn, conn.begin():
            conn.execute(
                update(InboundMessage)
                .where(InboundMessage.id == msg_id)
                .values(
                    route_attempts=InboundMessage.route_attempts + 1,
                    route_error=storable(error)[0][:2000],
                )
            )
            return int(
                conn.scalar(
                    select(InboundMessage.route_attempts).where(InboundMessage.id == msg_id)
                )
                or 0
            )

    def unrouted(self, modem: str, older_than: float = 0.0, limit: int = 50) -> list[Received]:
        """Texts from this modem whose routing never finished (a handler raised, or the
        gateway stopped between storing and filing), oldest first, while tries remain."""
        cutoff = utcnow() - timedelta(seconds=older_than)
        with Session(self.engine) as conn:
            rows = (
                conn.execute(
                    select(InboundMessage)
                    .where(
                        InboundMessage.routed_at.is_(None),
                        InboundMessage.modem == modem,
                        InboundMessage.route_attempts < ROUTE_ATTEMPTS,
                        InboundMessage.received_at <= cutoff,
                    )
                    .order_by(InboundMessage.id)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        return [_received(m) for m in rows]

    @staticmethod
    def by_ids(engine: Engine, ids: list[int]) -> list[Received]:
        """These messages, in the order of `ids`."""
        with Session(engine) as conn:
            rows = conn.execute(select(InboundMessage).where(InboundMessage.id.in_(ids))).scalars()
            found = {m.id: _received(m) for m in rows}
        return [found[i] for i in ids if i in found]

    def recent(self, limit: int = 50) -> list[Received]:
        with Session(self.engine) as conn:
            rows = (
                conn.execute(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit))
                .scalars()
                .all()
            )
        return [_received(m) for m in rows]


def _received(m: InboundMessage) -> Received:
    return Received(
        m.id,
        m.sender,
        m.text,
        m.sc_timestamp,
        m.received_at,
        m.complete,
        m.parts,
        m.routed_at is not None,
        m.route_error,
        m.note,
    )
