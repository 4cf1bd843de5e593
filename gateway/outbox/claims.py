"""The claim: one conditional UPDATE takes the most pressing due message, queued ->
sending, its attempt counted, for one modem of one gateway.

The row is picked by a subquery and taken only while it is still queued, and RETURNING
says whether this worker won it, which stays safe with several workers and several
daemons on one database. On PostgreSQL the row is picked `FOR UPDATE SKIP LOCKED`, so
gateways claiming at the same moment take different rows instead of queueing behind one
another. The statements are built once, one per combination of limits and dialect.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Update, and_, bindparam, or_, select, update

from gateway.core.models import Message
from gateway.outbox.priorities import DUTY

log = logging.getLogger(__name__)

DutyTo = Collection[str] | Literal["same"] | None


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    text: str
    priority: int
    attempts: int
    kind: str = "direct"
    list_id: int | None = None


def _claim_statement(ordinary_known: bool, duty_known: bool, skip_locked: bool) -> Update:
    """The claim of the most pressing due message. A modem near its distinct-recipient
    limit may text only numbers it has texted today: `ordinary_known` limits broadcasts and
    replies to those (`b_known`), `duty_known` limits duty traffic (`b_known_duty`), which
    keeps a reserve of new numbers for officers."""
    due = select(Message.id).where(
        Message.status == "queued", Message.next_attempt_at <= bindparam("b_now")
    )
    if ordinary_known or duty_known:
        duty = Message.priority == DUTY
        ordinary = Message.priority != DUTY
        if ordinary_known:
            ordinary = and_(ordinary, Message.to.in_(bindparam("b_known", expanding=True)))
        if duty_known:
            duty = and_(duty, Message.to.in_(bindparam("b_known_duty", expanding=True)))
        due = due.where(or_(duty, ordinary))
    due = due.order_by(Message.priority, Message.id).limit(1)
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(Message)
        .where(Message.id == due.scalar_subquery(), Message.status == "queued")
        .values(
            status="sending",
            attempts=Message.attempts + 1,
            modem=bindparam("b_modem"),
            claimed_by=bindparam("b_node"),
            claimed_at=bindparam("b_now"),
        )
        .returning(
            Message.id,
            Message.to,
            Message.text,
            Message.priority,
            Message.attempts,
            Message.kind,
            Message.list_id,
        )
    )


# (ordinary_known, duty_known, skip_locked) -> the prebuilt statement; SKIP LOCKED is
# PostgreSQL's.
STATEMENTS = {
    (k, d, s): _claim_statement(k, d, s)
    for k in (False, True)
    for d in (False, True)
    for s in (False, True)
}
_ANY_DUE = (
    select(Message.id)
    .where(Message.status == "queued", Message.next_attempt_at <= bindparam("b_now"))
    .limit(1)
)


def claim_in(
    conn: Connection,
    modem: str,
    node: str,
    now: datetime,
    only_to: Collection[str] | None = None,
    duty_to: DutyTo = "same",
    *,
    skip_locked: bool,
) -> Claimed | None:
    """Claim inside the caller's transaction; None when no due message is left to win.

    With `only_to`, only a message to one of those numbers; duty traffic obeys `duty_to`
    instead when it is given (None: duty may go to anyone).
    """
    if duty_to == "same":
        duty_to = only_to
    params: dict[str, object] = {"b_now": now, "b_modem": modem, "b_node": node}
    if only_to is not None:
        params["b_known"] = list(only_to)
    if duty_to is not None:
        params["b_known_duty"] = list(duty_to)
    claim = STATEMENTS[(only_to is not None, duty_to is not None, skip_locked)]
    row = conn.execute(claim, params).first()
    if row is None:
        return None
    log.debug("message %d sending on %s (attempt %d)", row.id, modem, row.attempts)
    return Claimed(row.id, row.to, row.text, row.priority, row.attempts, row.kind, row.list_id)


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(_ANY_DUE, {"b_now": now}).first() is not None
