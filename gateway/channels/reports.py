"""What a hosted service tells us after the hand-over: a message's fate (asked for, or
posted to the console's hooks) and texts people sent to its number.

A status settles the message that service sent under that id (`messages.modem` is the
service's name, `messages.refs` its id for the message); the state changes through
gateway/outbox/states.py, like a SIM's delivery report, so only a message still `sent`
is settled and a second report of the same fate changes nothing. A text is filed in the
inbox like one read off a SIM (its `modem` the service's name) and routed at once.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Sequence

from sqlalchemy import Engine, select, update

from gateway.channels.base import Inbound, Status
from gateway.core.db import utcnow
from gateway.core.models import InboundPart, Message
from gateway.core.privacy import mask
from gateway.inbox.store import SENDER_MAX, Inbox, IncomingPart, MessageHandler, Received, storable
from gateway.outbox import states

log = logging.getLogger(__name__)

_FILING = threading.Lock()  # one text at a time: the look-up and the store are two steps


def apply_status(engine: Engine, provider: str, status: Status) -> int | None:
    """Record what `provider` says of the message it knows as `status.ref`: delivered or
    failed settles it; any other state only notes that it was checked. Returns the id of
    the message settled, or None (no such message, not final, or settled already)."""
    now = utcnow()
    with engine.begin() as conn:
        msg_id = conn.scalar(
            select(Message.id)
            .where(Message.modem == provider, Message.refs == status.ref)
            .order_by(Message.id.desc())
            .limit(1)
        )
        if msg_id is None:
            log.info("%s: status %s for %s matches no message", provider, status.state, status.ref)
            return None
        conn.execute(update(Message).where(Message.id == msg_id).values(checked_at=now))
        if status.state == "delivered":
            settled = states.delivered_in(conn, msg_id, now)
        elif status.state == "failed":
            settled = states.undelivered_in(conn, msg_id, now, f"not delivered: {status.detail}")
        else:
            return None
    if not settled:
        return None  # not `sent` (settled already, or not yet marked handed over)
    log.info("message %d %s (%s: %s)", msg_id, status.state, provider, status.detail)
    return int(msg_id)


def store_inbound(
    inbox: Inbox, handlers: Sequence[MessageHandler], provider: str, text: Inbound
) -> Received | None:
    """File a text `provider` received for us and route it, as a modem's receiver does;
    None when that service id was filed already (a webhook posted twice).

    The service's id is kept as the part's concat_ref (a one-part text has no other use
    for it): a 31-bit hash, between 65,536 and 2^31, where no SIM's reference falls.
    A handler that raises leaves the text unrouted, counted, for a sweep of
    `inbox.unrouted(provider)` to route again."""
    key = ref_key(text.ref)
    part = IncomingPart(text.sender, text.received_at, text.text, concat_ref=key)
    with _FILING:
        if _filed(inbox.engine, provider, text.sender, key):
            log.info("%s: text %s from %s filed already", provider, text.ref, mask(text.sender))
            return None
        done = inbox.store(provider, part)
    for msg in done:
        route(inbox, handlers, msg)
    return done[0] if done else None


def route(inbox: Inbox, handlers: Sequence[MessageHandler], msg: Received) -> bool:
    """Give a stored text to every handler; it counts as routed only when all finished
    (the same rule as gateway/modems/receiver.py)."""
    try:
        for handler in handlers:
            handler(msg)
    except Exception as exc:
        tries = inbox.route_failed(msg.id, f"{type(exc).__name__}: {exc}")
        log.exception("inbound message %d: routing failed (%d); kept unrouted", msg.id, tries)
        return False
    inbox.mark_routed(msg.id)
    return True


def ref_key(ref: str) -> int:
    """A service's message id as a concat_ref: stable, and never a SIM's (0..65535, -1)."""
    return 0x10000 + zlib.crc32(ref.encode()) % (0x7FFFFFFF - 0x10000)


def _filed(engine: Engine, provider: str, sender: str, key: int) -> bool:
    with engine.connect() as conn:
        found = conn.scalar(
            select(InboundPart.id)
            .where(
                InboundPart.modem == provider,
                InboundPart.concat_ref == key,
                InboundPart.sender == storable(sender)[0][:SENDER_MAX],
            )
            .limit(1)
        )
    return found is not None
