"""Delivery reports: a network's word on whether a sent message reached the phone.

A report quotes the TP-MR reference the modem gave the part, which rolls over at 256,
so it is matched to the most recent part sent with that reference on that modem within
the report window, and checked against the recipient's number. The parts' rows are kept
here; the message's own state changes through gateway/outbox/states.py, and the worker
hands its reports to `Outbox.apply_reports`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from gateway.core.db import utcnow
from gateway.core.models import Message, SentPart
from gateway.outbox import states

if TYPE_CHECKING:  # the codec stays unloaded for `smsgw send`
    from hardware.pdu import StatusReport

log = logging.getLogger(__name__)

# TS 23.040 9.2.3.15 TP-Status. 0x00-0x1F: done; 0x20-0x3F: still trying;
# 0x40-0x5F: failed for good; 0x60-0x7F: failed, the service centre gave up.
TP_STATUS = {
    0x00: "received by the phone",
    0x01: "forwarded, delivery unconfirmed",
    0x02: "replaced by the service centre",
    0x20: "congestion",
    0x21: "phone busy",
    0x22: "no response from the phone",
    0x23: "service rejected",
    0x24: "quality of service not available",
    0x25: "error in the phone",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by the phone",
    0x43: "not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "validity period expired",
    0x47: "deleted by the sender",
    0x48: "deleted by the service centre",
    0x49: "message does not exist",
    0x60: "congestion (service centre gave up)",
    0x61: "phone busy (service centre gave up)",
    0x62: "no response from the phone (service centre gave up)",
    0x63: "service rejected (service centre gave up)",
    0x64: "quality of service not available (service centre gave up)",
    0x65: "error in the phone (service centre gave up)",
}


def describe(status: int) -> str:
    return f"TP-ST 0x{status:02X}: {TP_STATUS.get(status, 'reserved or SC-specific')}"


def _same_number(a: str, b: str) -> bool:
    da, db = "".join(c for c in a if c.isdigit()), "".join(c for c in b if c.isdigit())
    return bool(da and db) and da[-9:] == db[-9:]


_CANDIDATES = (
    select(SentPart.id, SentPart.message_id, Message.to)
    .join(Message, Message.id == SentPart.message_id)
    .where(
        SentPart.modem == bindparam("b_modem"),
        SentPart.ref == bindparam("b_ref"),
        SentPart.status == "sent",
        SentPart.sent_at >= bindparam("b_since"),
    )
    .order_by(SentPart.sent_at.desc(), SentPart.id.desc())
)
_SETTLE_PART = (
    update(SentPart)
    .where(SentPart.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"), tp_status=bindparam("b_tp"), reported_at=bindparam("b_at")
    )
)
_PART_STATES = select(SentPart.status).where(SentPart.message_id == bindparam("b_message"))


TRACK = insert(SentPart).inline()  # also run on the driver's cursor (sent_record.py)
TRACK_COLUMNS = ("message_id", "modem", "ref", "part", "sent_at", "status")


def track_in(conn: Connection, msg_id: int, modem: str, refs: Sequence[int], at: datetime) -> None:
    """Keep each part's reference, inside the transaction that marks the message sent,
    for its report to find."""
    conn.execute(TRACK, track_rows(msg_id, modem, refs, at))


def track_rows(
    msg_id: int, modem: str, refs: Sequence[int], at: datetime
) -> list[dict[str, object]]:
    return [
        {
            "message_id": msg_id,
            "modem": modem,
            "ref": ref,
            "part": n,
            "sent_at": at,
            "status": "sent",
        }
        for n, ref in enumerate(refs, 1)
    ]


def apply(engine: Engine, modem: str, report: StatusReport, window: float) -> int | None:
    """Record one report; returns the message id it settled, or None."""
    return apply_many(engine, modem, [report], window)[0]


def apply_many(
    engine: Engine, modem: str, reports: Sequence[StatusReport], window: float
) -> list[int | None]:
    """Record reports in one transaction (they come in bursts behind a broadcast); for
    each, the message id it settled, or None (unmatched, not final, other parts pending)."""
    now = utcnow()
    since = now - timedelta(seconds=window)
    settled: list[int | None] = []
    with engine.begin() as conn:
        for report in reports:
            settled.append(_settle(conn, modem, report, now, since))
    return settled


def _settle(
    conn: Connection, modem: str, report: StatusReport, now: datetime, since: datetime
) -> int | None:
    if not report.final:
        log.debug(
            "report for ref %d on %s: still trying (%s)",
            report.message_ref,
            modem,
            describe(report.status),
        )
        return None
    rows = conn.execute(
        _CANDIDATES, {"b_modem": modem, "b_ref": report.message_ref, "b_since": since}
    ).all()
    match = next((r for r in rows if _same_number(r.to, report.recipient)), None)
    if match is None:
        log.info("report for ref %d on %s matches no sent message", report.message_ref, modem)
        return None
    conn.execute(
        _SETTLE_PART,
        {
            "b_id": match.id,
            "b_tp": report.status,
            "b_at": now,
            "b_status": "delivered" if report.delivered else "failed",
        },
    )
    if not report.delivered:
        reason = f"not delivered: {describe(report.status)}"
        states.undelivered_in(conn, match.message_id, now, reason)
        outcome = "failed"
    elif all(p == "delivered" for p in conn.scalars(_PART_STATES, {"b_message": match.message_id})):
        states.delivered_in(conn, match.message_id, now)
        outcome = "delivered"
    else:
        return None  # other parts still to be reported
    log.info("message %d %s (%s)", match.message_id, outcome, describe(report.status))
    return int(match.message_id)
