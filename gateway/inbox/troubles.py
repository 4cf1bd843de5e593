"""What the gateway kept but could not finish, for a person to look at: texts whose
routing gave up, texts stored with characters replaced, PDUs kept raw, outbound
messages parked after they made the sender raise. The console and `smsgw doctor` show
these counts; none of them stops a modem.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, or_, select

from gateway.core.models import InboundMessage, Message, UndecodablePdu
from gateway.inbox.store import ROUTE_ATTEMPTS, Inbox, Received
from gateway.outbox.queue import PARKED


@dataclass(frozen=True)
class Troubles:
    unrouted: int  # stored, but routing failed ROUTE_ATTEMPTS times: maybe a sighting unfiled
    altered: int  # stored with characters no database holds replaced (raw PDU kept)
    kept: int  # PDUs that could not be read or stored, kept raw
    parked: int  # outbound messages that made the sender raise

    def any(self) -> bool:
        return bool(self.unrouted or self.kept or self.parked)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def count(engine: Engine) -> Troubles:
    with engine.connect() as conn:
        unrouted = conn.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.routed_at.is_(None),
                InboundMessage.route_attempts >= ROUTE_ATTEMPTS,
            )
        )
        altered = conn.scalar(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.note != "")
        )
        kept = conn.scalar(select(func.count()).select_from(UndecodablePdu))
        parked = conn.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.status == "failed", Message.last_error.like(f"{PARKED}%"))
        )
    return Troubles(int(unrouted or 0), int(altered or 0), int(kept or 0), int(parked or 0))


@dataclass(frozen=True)
class KeptPdu:
    id: int
    modem: str
    pdu: str
    error: str
    received_at: datetime


@dataclass(frozen=True)
class ParkedMessage:
    id: int
    to: str
    text: str
    error: str
    failed_at: datetime | None


def texts(engine: Engine, limit: int = 50) -> list[Received]:
    """Received texts not routed (routing failed at least once) or stored altered."""
    with engine.connect() as conn:
        ids = list(
            conn.scalars(
                select(InboundMessage.id)
                .where(
                    or_(
                        and_(InboundMessage.routed_at.is_(None), InboundMessage.route_error != ""),
                        InboundMessage.note != "",
                    )
                )
                .order_by(InboundMessage.id.desc())
                .limit(limit)
            )
        )
    return Inbox.by_ids(engine, ids)


def kept_pdus(engine: Engine, limit: int = 50) -> list[KeptPdu]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(UndecodablePdu).order_by(UndecodablePdu.id.desc()).limit(limit)
        ).all()
    return [KeptPdu(r.id, r.modem, r.pdu, r.error, r.received_at) for r in rows]


def parked_messages(engine: Engine, limit: int = 50) -> list[ParkedMessage]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.id, Message.to, Message.text, Message.last_error, Message.failed_at)
            .where(Message.status == "failed", Message.last_error.like(f"{PARKED}%"))
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
    return [ParkedMessage(r.id, r.to, r.text, r.last_error or "", r.failed_at) for r in rows]
