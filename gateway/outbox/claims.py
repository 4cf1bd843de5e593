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
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Select, Update, and_, bindparam, or_, select, update

from gateway.core.models import Message
from gateway.outbox.priorities import DUTY

log = logging.getLogger(__name__)

DutyTo = Collection[str] | Literal["same"] | None
SIM = "sim"  # the channel a modem takes from


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    text: str
    priority: int
    attempts: int
    kind: str = "direct"
    list_id: int | None = None
    channel: str = SIM
    alert_id: int | None = None


@dataclass(frozen=True)
class Held:
    """A message left `sending` on a sender by this gateway (see `held_in`)."""

    id: int
    to: str
    text: str
    claimed_at: datetime
    claimed_by: str = ""


def _first_due(
    ordinary_known: bool, duty_known: bool, two_channels: bool, column: Any
) -> Select[Any]:
    """The most pressing due message, as the claim chooses it. A modem near its
    distinct-recipient limit may text only numbers it has texted today: `ordinary_known`
    limits broadcasts and replies to those (`b_known`), `duty_known` limits duty traffic
    (`b_known_duty`), which keeps a reserve of new numbers for officers."""
    # One channel is an equality, so the claim index gives the order; a hosted service
    # in failover looks at two.
    channel = Message.channel == bindparam("b_channel")
    if two_channels:
        channel = or_(channel, Message.channel == bindparam("b_channel2"))
    due = select(column).where(
        Message.status == "queued", channel, Message.next_attempt_at <= bindparam("b_now")
    )
    if ordinary_known or duty_known:
        duty = Message.priority == DUTY
        ordinary = Message.priority != DUTY
        if ordinary_known:
            ordinary = and_(ordinary, Message.to.in_(bindparam("b_known", expanding=True)))
        if duty_known:
            duty = and_(duty, Message.to.in_(bindparam("b_known_duty", expanding=True)))
        due = due.where(or_(duty, ordinary))
    return due.order_by(Message.priority, Message.id).limit(1)


def _claim_statement(
    ordinary_known: bool, duty_known: bool, skip_locked: bool, two_channels: bool
) -> Update:
    """The claim of the message `_first_due` chooses."""
    due = _first_due(ordinary_known, duty_known, two_channels, Message.id)
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
            Message.channel,
            Message.alert_id,
        )
    )


# (ordinary_known, duty_known, skip_locked, two_channels) -> the prebuilt statement;
# SKIP LOCKED is PostgreSQL's.
STATEMENTS = {
    (k, d, s, c): _claim_statement(k, d, s, c)
    for k in (False, True)
    for d in (False, True)
    for s in (False, True)
    for c in (False, True)
}
# (ordinary_known, duty_known, two_channels) -> the priority the next claim would take
FIRST_PRIORITY = {
    (k, d, c): _first_due(k, d, c, Message.priority)
    for k in (False, True)
    for d in (False, True)
    for c in (False, True)
}
_ANY_DUE = (
    select(Message.id)
    .where(Message.status == "queued", Message.next_attempt_at <= bindparam("b_now"))
    .limit(1)
)


def _params(
    now: datetime,
    only_to: Collection[str] | None,
    duty_to: DutyTo,
    channels: Sequence[str],
) -> tuple[dict[str, object], tuple[bool, bool, bool]]:
    """The claim's parameters and which of its statements they fit: (ordinary_known,
    duty_known, two_channels)."""
    if duty_to == "same":
        duty_to = only_to
    if not 1 <= len(channels) <= 2:
        raise ValueError(f"a claim looks at one or two channels, not {list(channels)}")
    params: dict[str, object] = {"b_now": now, "b_channel": channels[0]}
    two = len(channels) == 2
    if two:
        params["b_channel2"] = channels[1]
    if only_to is not None:
        params["b_known"] = list(only_to)
    if duty_to is not None:
        params["b_known_duty"] = list(duty_to)
    return params, (only_to is not None, duty_to is not None, two)


def outranked_in(
    conn: Connection,
    ahead: Claimed,
    now: datetime,
    only_to: Collection[str] | None = None,
    duty_to: DutyTo = "same",
    *,
    channels: Sequence[str] = (SIM,),
) -> bool:
    """Whether a claim now would take a more pressing message than `ahead`, claimed a
    send earlier: the claim's own choice, under the same limits, read without taking it."""
    params, (known, duty_known, two) = _params(now, only_to, duty_to, channels)
    first = conn.scalar(FIRST_PRIORITY[(known, duty_known, two)], params)
    return first is not None and first < ahead.priority


def claim_in(
    conn: Connection,
    modem: str,
    node: str,
    now: datetime,
    only_to: Collection[str] | None = None,
    duty_to: DutyTo = "same",
    *,
    skip_locked: bool,
    channels: Sequence[str] = (SIM,),
) -> Claimed | None:
    """Claim inside the caller's transaction; None when no due message is left to win.

    With `only_to`, only a message to one of those numbers; duty traffic obeys `duty_to`
    instead when it is given (None: duty may go to anyone). Only from `channels` (one or
    two of them).
    """
    params, (known, duty_known, two) = _params(now, only_to, duty_to, channels)
    params |= {"b_modem": modem, "b_node": node}
    claim = STATEMENTS[(known, duty_known, skip_locked, two)]
    row = conn.execute(claim, params).first()
    if row is None:
        return None
    log.debug("message %d sending on %s (attempt %d)", row.id, modem, row.attempts)
    return Claimed(
        row.id,
        row.to,
        row.text,
        row.priority,
        row.attempts,
        row.kind,
        row.list_id,
        row.channel,
        row.alert_id,
    )


def held_in(
    conn: Connection, node: str, sender: str, expired_before: datetime | None = None
) -> list[Held]:
    """Messages `sending` on `sender`: this gateway's, and with `expired_before` those any
    gateway claimed before then (it died holding them)."""
    mine = Message.claimed_by == node
    if expired_before is not None:
        mine = or_(mine, Message.claimed_at < expired_before)
    rows = conn.execute(
        select(Message.id, Message.to, Message.text, Message.claimed_at, Message.claimed_by)
        .where(Message.status == "sending", Message.modem == sender, mine)
        .order_by(Message.id)
    ).all()
    return [Held(r.id, r.to, r.text, r.claimed_at, r.claimed_by) for r in rows]


def refs_sent_in(conn: Connection, sender: str, to: str, since: datetime) -> set[str]:
    """The service's ids of what `sender` already took for `to` since then: a lost answer's
    message is none of these."""
    return {
        str(ref)
        for ref in conn.scalars(
            select(Message.refs).where(
                Message.modem == sender,
                Message.to == to,
                Message.sent_at >= since,
                Message.refs.is_not(None),
            )
        )
    }


def any_due(conn: Connection, now: datetime) -> bool:
    return conn.execute(_ANY_DUE, {"b_now": now}).first() is not None


def queued_channels_in(conn: Connection) -> set[str]:
    return set(conn.scalars(select(Message.channel).where(Message.status == "queued").distinct()))
