"""A message's state after it was queued, written here and nowhere else (the claim,
queued -> sending, is in claims.py); the `Outbox` offers these to the rest of the gateway.

    queued -> sending -> sent -> delivered | failed     (a delivery report)
    sending -> queued      a retry, a deferral, a hand-back, a gateway that stopped
    sending -> failed      a permanent error, attempts used up, or parked
    sending -> opted_out   the recipient sent STOP after the broadcast was queued
    queued -> cancelled    its alert was cancelled
    failed -> queued       its alert's failures were sent again

Every write is conditional on the state it leaves, and its rowcount says whether it
happened: a sending message is finished only by the gateway that claimed it, and a
report settles only a message still `sent`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, true, update

from gateway.core import events
from gateway.core.models import Message

# opted_out: a broadcast dropped just before it went, its recipient having sent STOP
# after it was queued; final, and not a failure (nothing to resend).
STATES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "opted_out")
PARKED = "parked: "  # the start of last_error on a message that crashed the sender

SENT = (  # also run by the modem's writer on the driver's cursor (sent_record.py)
    update(Message)
    .where(
        Message.id == bindparam("b_id"),
        Message.status == "sending",
        Message.claimed_by == bindparam("b_node"),
    )
    .values(
        status="sent",
        sent_at=bindparam("b_sent_at"),
        refs=bindparam("b_refs"),
        parts=bindparam("b_parts"),
        last_error=None,
    )
)
# Prebuilt: delivery reports come in bursts behind a broadcast.
_DELIVERED = (
    update(Message)
    .where(Message.id == bindparam("b_message"), Message.status == "sent")
    .values(status="delivered", delivered_at=bindparam("b_at"))
)
_UNDELIVERED = (
    update(Message)
    .where(Message.id == bindparam("b_message"), Message.status == "sent")
    .values(status="failed", failed_at=bindparam("b_at"), last_error=bindparam("b_error"))
)


def sent_in(conn: Connection, msg_id: int, node: str, at: datetime, refs: Sequence[int]) -> bool:
    """sending -> sent, with the network's reference for each part."""
    return bool(conn.execute(SENT, sent_values(msg_id, node, at, refs)).rowcount)


def sent_values(msg_id: int, node: str, at: datetime, refs: Sequence[int]) -> dict[str, object]:
    return {
        "b_id": msg_id,
        "b_node": node,
        "b_sent_at": at,
        "b_refs": ",".join(map(str, refs)),
        "b_parts": max(1, len(refs)),
    }


def handed_in(
    conn: Connection, msg_id: int, node: str, at: datetime, ref: str, sender: str
) -> bool:
    """sending -> sent, taken by a hosted service (its id for it in `refs`) or the mail
    server; the channel becomes the sender's, whatever queue it came from."""
    values = {"status": "sent", "sent_at": at, "refs": ref or None, "last_error": None}
    if sender != "email":
        values["channel"] = sender
    return finish_in(conn, msg_id, node, **values)


def finish_in(conn: Connection, msg_id: int, node: str, **values: object) -> bool:
    """Out of sending, if this gateway (`node`) still holds the claim."""
    stmt = (
        update(Message)
        .where(Message.id == msg_id, Message.status == "sending", Message.claimed_by == node)
        .values(**values)
    )
    done = conn.execute(stmt).rowcount == 1
    if done and values.get("status") == "failed":
        failed_event_in(conn, msg_id)
    return done


def requeue_stale_in(conn: Connection, node: str, modems: Iterable[str], now: datetime) -> int:
    """What `node` left sending on these modems goes back to the queue."""
    stmt = (
        update(Message)
        .where(
            Message.status == "sending",
            Message.claimed_by == node,
            Message.modem.in_(list(modems)),
        )
        .values(
            status="queued",
            next_attempt_at=now,
            last_error="requeued after the gateway stopped mid-send",
        )
    )
    return int(conn.execute(stmt).rowcount)


def requeue_expired_in(
    conn: Connection, claimed_before: datetime, now: datetime, keep: Collection[str] = ()
) -> int:
    """What any gateway claimed before `claimed_before` and left sending goes back; not
    what a sender in `keep` holds (a hosted service, email): the service may have made it,
    so that sender's worker asks first (`adopt_in`)."""
    stmt = (
        update(Message)
        .where(
            Message.status == "sending",
            Message.claimed_at < claimed_before,
            Message.modem.not_in(list(keep)) if keep else true(),
        )
        .values(
            status="queued",
            next_attempt_at=now,
            last_error="requeued: the gateway that claimed it stopped answering",
        )
    )
    return int(conn.execute(stmt).rowcount)


def adopt_in(conn: Connection, msg_id: int, node: str, sender: str, now: datetime) -> bool:
    """A message another gateway left `sending` on `sender` past its lease: this gateway
    holds it now, to ask the service about it and finish it."""
    stmt = (
        update(Message)
        .where(Message.id == msg_id, Message.status == "sending", Message.modem == sender)
        .values(claimed_by=node, claimed_at=now)
    )
    return conn.execute(stmt).rowcount == 1


def rechannel_in(conn: Connection, gone: Collection[str], to: str) -> int:
    """Queued messages of channels nobody sends on any more (a provider taken out of the
    config, or set to never) go to `to` instead of waiting for good."""
    stmt = (
        update(Message)
        .where(Message.status == "queued", Message.channel.in_(list(gone)))
        .values(channel=to)
    )
    return int(conn.execute(stmt).rowcount)


def cancel_in(conn: Connection, alert_id: int, reason: str) -> int:
    """An alert's messages still queued -> cancelled; those handed to a modem go on."""
    stmt = (
        update(Message)
        .where(Message.alert_id == alert_id, Message.status == "queued")
        .values(status="cancelled", last_error=reason)
    )
    return int(conn.execute(stmt).rowcount)


def resend_failed_in(conn: Connection, alert_id: int, now: datetime) -> int:
    """An alert's failed messages -> queued, attempts counted afresh; opted_out stays."""
    stmt = (
        update(Message)
        .where(Message.alert_id == alert_id, Message.status == "failed")
        .values(status="queued", attempts=0, next_attempt_at=now, last_error=None)
    )
    return int(conn.execute(stmt).rowcount)


def delivered_in(conn: Connection, msg_id: int, at: datetime) -> bool:
    """sent -> delivered: every part's report said the phone has it."""
    return bool(conn.execute(_DELIVERED, {"b_message": msg_id, "b_at": at}).rowcount)


def undelivered_in(conn: Connection, msg_id: int, at: datetime, reason: str) -> bool:
    """sent -> failed: a report said a part will never reach the phone."""
    params = {"b_message": msg_id, "b_at": at, "b_error": reason}
    done = bool(conn.execute(_UNDELIVERED, params).rowcount)
    if done:
        failed_event_in(conn, msg_id)
    return done


def failed_event_in(conn: Connection, msg_id: int) -> None:
    """message.failed beside the state write that made it, in its transaction."""
    if not events.wanted("message.failed"):
        return
    row = conn.execute(
        select(Message.to, Message.last_error, Message.channel).where(Message.id == msg_id)
    ).one()
    data = {"id": msg_id, "to": row.to, "error": row.last_error or "", "channel": row.channel}
    events.emit_in(conn, "message.failed", data)
