"""Delivery reports: a network's word on whether a sent message reached the phone.

A report quotes the TP-MR reference the modem gave the part, which rolls over at 256,
so it is matched to the most recent part sent with that reference on that modem within
the report window, and checked against the recipient's number.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine, select, update

from gateway.db import utcnow
from gateway.models import Message, SentPart
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


def apply(engine: Engine, modem: str, report: StatusReport, window: float) -> int | None:
    """Record a report; returns the message id it settled, or None (unmatched, not final)."""
    if not report.final:
        log.debug(
            "report for ref %d on %s: still trying (%s)",
            report.message_ref,
            modem,
            describe(report.status),
        )
        return None
    now = utcnow()
    with engine.begin() as conn:
        rows = conn.execute(
            select(SentPart.id, SentPart.message_id, Message.to)
            .join(Message, Message.id == SentPart.message_id)
            .where(
                SentPart.modem == modem,
                SentPart.ref == report.message_ref,
                SentPart.status == "sent",
                SentPart.sent_at >= now - timedelta(seconds=window),
            )
            .order_by(SentPart.sent_at.desc(), SentPart.id.desc())
        ).all()
        match = next((r for r in rows if _same_number(r.to, report.recipient)), None)
        if match is None:
            log.info("report for ref %d on %s matches no sent message", report.message_ref, modem)
            return None
        conn.execute(
            update(SentPart)
            .where(SentPart.id == match.id)
            .values(
                status="delivered" if report.delivered else "failed",
                tp_status=report.status,
                reported_at=now,
            )
        )
        parts = (
            conn.execute(select(SentPart.status).where(SentPart.message_id == match.message_id))
            .scalars()
            .all()
        )
        if report.delivered and all(p == "delivered" for p in parts):
            values: dict[str, object] = {"status": "delivered", "delivered_at": now}
        elif not report.delivered:
            values = {
                "status": "failed",
                "failed_at": now,
                "last_error": f"not delivered: {describe(report.status)}",
            }
        else:
            return None  # other parts still to be reported
        conn.execute(
            update(Message)
            .where(Message.id == match.message_id, Message.status == "sent")
            .values(**values)
        )
    log.info("message %d %s (%s)", match.message_id, values["status"], describe(report.status))
    return int(match.message_id)
