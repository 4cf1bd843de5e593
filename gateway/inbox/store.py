"""Received texts: parts stored as read, joined into messages, each stored once.

A part is committed before it is deleted from the SIM (the worker's order), and the
unique key on parts makes a second read of the same SMS (a failed delete, a network
redelivery) a no-op. Parts may come in any order; a set still missing parts after
`partial_timeout` is stored as an incomplete message rather than held forever.

Whatever arrives is kept. What a database refuses is replaced, the message carries a
note saying so and its part keeps the raw PDU; an officer's PIN is never written, neither
in a text nor in a digest nor in a raw PDU (gateway.inbox.cleaning), and travels to the
router in memory only. A message is routed at least once: `routed_at` is set only when
every handler has finished, and unrouted ones are routed again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.core import clock, events
from gateway.core.config import InboundConfig
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage, InboundPart, UndecodablePdu
from gateway.core.privacy import mask
from gateway.inbox.cleaning import clean, is_rewritten, rewritten_parts, storable
from gateway.inbox.messages import SINGLE, IncomingPart, MessageHandler, Received, received
from gateway.inbox.officer_words import redact

__all__ = [
    "ROUTE_ATTEMPTS",
    "SINGLE",
    "Inbox",
    "IncomingPart",
    "MessageHandler",
    "Received",
    "storable",
    "texts_in_window",
]

log = logging.getLogger(__name__)

GROUP_WINDOW = timedelta(hours=24)  # concat refs roll over; parts further apart are not one text
ROUTE_ATTEMPTS = 3  # tries at routing a text before it waits for an operator
SENDER_MAX = 32  # the sender column's length (PostgreSQL enforces it)


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


class _ReadAgain(Exception):
    """A part already stored, recognised by its place (its digest was rewritten)."""


class Inbox:
    def __init__(self, engine: Engine, config: InboundConfig) -> None:
        self.engine = engine
        self.config = config

    def store(self, modem: str, part: IncomingPart, pdu: str | None = None) -> list[Received]:
        """Store one part; returns the messages it completed (none for a duplicate).

        `pdu`, the raw part, is kept when its text had to be altered to be stored.
        """
        now = utcnow()
        cleaned = clean(part.text)
        text, pin, replaced = cleaned.text, cleaned.pin, cleaned.replaced
        sender, bad_sender = storable(part.sender)
        altered = bool(replaced or bad_sender or len(sender) > SENDER_MAX)
        row = {
            "sender": sender[:SENDER_MAX],
            "sc_timestamp": clock.naive_utc(part.sc_timestamp),
            "concat_ref": part.concat_ref,
            "part": part.part,
            "parts": part.parts,
            "digest": cleaned.digest,
            "text": text,
            "received_at": now,
            "modem": modem,
            "pdu": pdu if altered and not cleaned.redacted else None,  # it holds the PIN
        }
        note = f"{replaced} character(s) the database cannot hold replaced" if replaced else ""
        if altered and not note:
            note = "sender altered to be stored"
        if altered and cleaned.redacted:
            note += " (raw PDU not kept: it carried a PIN)"
        stored = IncomingPart(
            str(row["sender"]), part.sc_timestamp, text, part.concat_ref, part.part, part.parts
        )
        try:
            with Session(self.engine) as conn, conn.begin():
                if part.parts > 1 and _rewritten_there(conn, row):
                    raise _ReadAgain
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
                for msg in done:
                    if msg.complete:  # a complete text, PIN out: for the force's own system
                        data = {"id": msg.id, "from": msg.sender, "text": msg.text}
                        events.emit_in(conn, "inbound.received", data)
        except (IntegrityError, _ReadAgain):
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
        joined = text
        text, pin = redact(joined)
        if text != joined:  # a PIN, or what could be one, over parts: the first holds it all
            rows = conn.scalars(
                select(InboundPart.id)
                .where(InboundPart.message_id == msg_id)
                .order_by(InboundPart.part, InboundPart.id)
            ).all()
            for row_id, part_text, part_digest in rewritten_parts(text, rows):
                conn.execute(
                    update(InboundPart)
                    .where(InboundPart.id == row_id)
                    .values(text=part_text, digest=part_digest, pdu=None)
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
        return [received(m) for m in rows]

    @staticmethod
    def by_ids(engine: Engine, ids: list[int]) -> list[Received]:
        """These messages, in the order of `ids`."""
        with Session(engine) as conn:
            rows = conn.execute(select(InboundMessage).where(InboundMessage.id.in_(ids))).scalars()
            found = {m.id: received(m) for m in rows}
        return [found[i] for i in ids if i in found]

    def recent(self, limit: int = 50) -> list[Received]:
        with Session(self.engine) as conn:
            rows = (
                conn.execute(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit))
                .scalars()
                .all()
            )
        return [received(m) for m in rows]


def _rewritten_there(conn: Session, row: dict[str, object]) -> bool:
    """Whether a part already sits at this place in a text (sender, time stamp, reference,
    number) rewritten when the whole was redacted: this is it, read again. Its digest no
    longer matches the text as received, so the unique key alone cannot tell."""
    found = conn.execute(
        select(InboundPart.id, InboundPart.text, InboundPart.digest).where(
            InboundPart.sender == row["sender"],
            InboundPart.sc_timestamp == row["sc_timestamp"],
            InboundPart.concat_ref == row["concat_ref"],
            InboundPart.part == row["part"],
            InboundPart.parts == row["parts"],
        )
    ).all()
    return any(is_rewritten(r.text, r.digest, r.id) for r in found)
