"""The durable outbox: every message is in the database before a modem sees it.

States: queued -> sending -> sent -> delivered | failed. The attempt is written before
the send (queued -> sending, attempts + 1, committed) and the outcome after, so a crash
leaves at most the one message in flight to be sent again. A worker claims with one
conditional UPDATE checked by what it returns, which stays safe with several workers
and several daemons on one database. On PostgreSQL the row is picked `FOR UPDATE SKIP
LOCKED`, so gateways claiming at the same moment take different rows instead of queueing
behind one another, and each commit of new work sends `NOTIFY smsgw_outbox`, which wakes
the other gateways at once. A claim is a lease: a message left `sending` longer than
`outbox.lease` (its gateway died) goes back to the queue for any gateway to take.

Priorities, most pressing first: `duty` is what officers depend on (a sighting's forward,
its escalation, the answer to an officer's ACK, CLOSE or RELAY, rota and admin notices)
and overtakes everything, broadcasts included; `urgent` is an alert's fan-out; `normal`
(replies to the public) and `bulk` wait behind them. A message that makes the sender
raise is parked (failed, its reason starting "parked:"), never retried in a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import (
    Connection,
    Engine,
    Update,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import text as sql

from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Message, SentPart
from gateway.core.privacy import mask

log = logging.getLogger(__name__)

PRIORITIES = {"duty": -1, "urgent": 0, "normal": 1, "bulk": 2}
DUTY = PRIORITIES["duty"]
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}
# opted_out: a broadcast dropped just before it went, its recipient having sent STOP
# after it was queued; final, and not a failure (nothing to resend).
STATES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "opted_out")
LOG_EACH_UP_TO = 10  # a broadcast logs one line for its batch, not one per recipient
PARKED = "parked: "  # the start of last_error on a message that crashed the sender


class UnknownPriority(ValueError):
    pass


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
_CLAIMS = {
    (k, d, s): _claim_statement(k, d, s)
    for k in (False, True)
    for d in (False, True)
    for s in (False, True)
}
NOTIFY_CHANNEL = "smsgw_outbox"
_NOTIFY = sql(f"NOTIFY {NOTIFY_CHANNEL}")
_ANY_DUE = (
    select(Message.id)
    .where(Message.status == "queued", Message.next_attempt_at <= bindparam("b_now"))
    .limit(1)
)
_FINISH = (
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


def priority_value(name: str) -> int:
    try:
        return PRIORITIES[name]
    except KeyError:
        raise UnknownPriority(
            f"priority must be one of {', '.join(PRIORITIES)}, not {name!r}"
        ) from None


def _row(
    item: tuple[str, str] | tuple[str, str, int | None],
    level: int,
    kind: str,
    alert_id: int | None,
    now: datetime,
) -> dict[str, object]:
    return {
        "to": item[0],
        "text": item[1],
        "list_id": item[2] if len(item) > 2 else None,
        "kind": kind,
        "alert_id": alert_id,
        "priority": level,
        "status": "queued",
        "attempts": 0,
        "parts": 1,
        "created_at": now,
        "next_attempt_at": now,
    }


def _copy_rows(conn: Connection, rows: list[dict[str, object]]) -> None:
    """PostgreSQL's COPY, inside the caller's transaction: a fan-out to thousands is one
    stream instead of a statement per row (about ten times as fast)."""
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY messages ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


class Outbox:
    def __init__(self, engine: Engine, config: OutboxConfig, node: str) -> None:
        self.engine = engine
        self.config = config
        self.node = node
        self._listeners: list[Callable[[], None]] = []
        self.postgres = engine.dialect.name == "postgresql"

    def add_listener(self, wake: Callable[[], None]) -> None:
        """Called after new work is committed, so idle workers in this process start at once."""
        self._listeners.append(wake)

    def wake(self) -> None:
        """Tell idle workers in this process that there is work."""
        self._notify()

    def announce(self, conn: Connection) -> None:
        """Inside a transaction that adds work: on PostgreSQL, wake every gateway when it
        commits (NOTIFY is delivered at commit, and dropped on rollback)."""
        if self.postgres:
            conn.execute(_NOTIFY)

    def _notify(self) -> None:
        for wake in self._listeners:
            wake()

    def enqueue(
        self,
        to: str,
        text: str,
        priority: str = "normal",
        *,
        kind: str = "direct",
        key: str | None = None,
    ) -> int:
        """Queue one message. With a `key`, a second call with the same key queues nothing
        and returns the first message's id: what routing a text again must not repeat."""
        if key is None:
            return self.enqueue_many([(to, text)], priority, kind=kind)[0]
        with self.engine.begin() as conn:
            msg_id = self.enqueue_in(conn, to, text, priority, kind=kind, key=key)
        self._notify()
        return msg_id

    def enqueue_many(
        self,
        items: Iterable[tuple[str, str] | tuple[str, str, int | None]],
        priority: str = "normal",
        *,
        kind: str = "direct",
        alert_id: int | None = None,
        ids: bool = True,
    ) -> list[int]:
        """Queue messages in one transaction, in the given order; returns their ids.

        An item is (number, text) or, for a broadcast, (number, text, list id): the list
        whose opt-outs are checked again just before the message goes. With `ids=False`
        the ids are not read back (a fan-out of thousands does not need them) and [] is
        returned.
        """
        level = priority_value(priority)
        now = utcnow()
        rows = [_row(item, level, kind, alert_id, now) for item in items]
        if not rows:
            return []
        if not ids:
            with self.engine.begin() as conn:
                if self.postgres:
                    _copy_rows(conn, rows)
                else:
                    conn.execute(insert(Message), rows)
                self.announce(conn)
            log.info("%d %s message(s) queued (%s)", len(rows), kind, priority)
            self._notify()
            return []
        with self.engine.begin() as conn:
            made = list(
                conn.scalars(
                    insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
                )
            )
            self.announce(conn)
        if len(made) > LOG_EACH_UP_TO:
            log.info(
                "messages %d-%d queued (%d, %s, %s)", made[0], made[-1], len(made), kind, priority
            )
        else:
            for msg_id, row in zip(made, rows, strict=True):
                log.info("message %d queued (%s, to %s)", msg_id, priority, mask(str(row["to"])))
        self._notify()
        return made

    def enqueue_in(
        self,
        conn: Connection,
        to: str,
        text: str,
        priority: str = "normal",
        *,
        kind: str,
        key: str | None = None,
    ) -> int:
        """Queue one message inside the caller's transaction, so it commits (or not) with
        whatever else the caller writes. Call `wake()` after the commit. With a `key`, a
        message already queued under it is returned instead of a second one."""
        if key is not None:
            found = conn.scalar(select(Message.id).where(Message.dedupe_key == key))
            if found is not None:
                log.info("message %d already queued as %s", found, key)
                return int(found)
        row = _row((to, text), priority_value(priority), kind, None, utcnow())
        row["dedupe_key"] = key
        msg_id = conn.execute(insert(Message).returning(Message.id), row).scalar_one()
        self.announce(conn)
        log.info("message %d queued (%s, to %s)", msg_id, priority, mask(to))
        return int(msg_id)

    def claim(
        self,
        modem: str,
        now: datetime | None = None,
        *,
        only_to: Collection[str] | None = None,
        duty_to: Collection[str] | Literal["same"] | None = "same",
    ) -> Claimed | None:
        """Take the most pressing message that is due, or None when there is nothing to do.

        With `only_to`, only a message to one of those numbers; duty traffic obeys
        `duty_to` instead when it is given (None: duty may go to anyone).
        """
        now = now or utcnow()
        for _ in range(3):  # another worker may win the row between the select and the update
            with self.engine.begin() as conn:
                claimed = self._claim(conn, modem, now, only_to, duty_to)
            if claimed is not None or not self._any_due(now):
                return claimed
        return None

    def _claim(
        self,
        conn: Connection,
        modem: str,
        now: datetime,
        only_to: Collection[str] | None = None,
        duty_to: Collection[str] | Literal["same"] | None = "same",
    ) -> Claimed | None:
        if duty_to == "same":
            duty_to = only_to
        params: dict[str, object] = {"b_now": now, "b_modem": modem, "b_node": self.node}
        if only_to is not None:
            params["b_known"] = list(only_to)
        if duty_to is not None:
            params["b_known_duty"] = list(duty_to)
        claim = _CLAIMS[(only_to is not None, duty_to is not None, self.postgres)]
        row = conn.execute(claim, params).first()
        if row is None:
            return None
        log.debug("message %d sending on %s (attempt %d)", row.id, modem, row.attempts)
        return Claimed(row.id, row.to, row.text, row.priority, row.attempts, row.kind, row.list_id)

    def _any_due(self, now: datetime) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(_ANY_DUE, {"b_now": now}).first() is not None

    def mark_sent(
        self,
        msg_id: int,
        refs: Sequence[int],
        *,
        modem: str = "",
        claim_next: bool = False,
        only_to: Collection[str] | None = None,
        duty_to: Collection[str] | Literal["same"] | None = "same",
        track: bool = False,
    ) -> Claimed | None:
        """Record a send; with `claim_next`, claim the next message in the same transaction.

        One commit instead of two keeps the modem's radio link busy: the outcome of one
        message and the attempt of the next are both on disk before the next send starts.
        With `track`, each part's reference is kept for matching delivery reports.
        """
        now = utcnow()
        parts = max(1, len(refs))
        nxt = None
        with self.engine.begin() as conn:
            done = conn.execute(
                _FINISH,
                {
                    "b_id": msg_id,
                    "b_node": self.node,
                    "b_sent_at": now,
                    "b_refs": ",".join(map(str, refs)),
                    "b_parts": parts,
                },
            ).rowcount
            if done and refs and track:
                conn.execute(
                    insert(SentPart),
                    [
                        {
                            "message_id": msg_id,
                            "modem": modem,
                            "ref": ref,
                            "part": n,
                            "sent_at": now,
                            "status": "sent",
                        }
                        for n, ref in enumerate(refs, 1)
                    ],
                )
            if claim_next:
                nxt = self._claim(conn, modem, now, only_to, duty_to)
        if not done:
            log.warning("message %d was no longer ours to mark sent", msg_id)
        log.info("message %d sent (%d part(s))", msg_id, parts)
        return nxt

    def mark_failed(self, msg_id: int, reason: str) -> None:
        self._finish(msg_id, status="failed", failed_at=utcnow(), last_error=reason)
        log.warning("message %d failed: %s", msg_id, reason)

    def mark_opted_out(self, msg_id: int, reason: str) -> None:
        """The recipient opted out after the broadcast was queued: it is not sent, and it
        is not a failure, so `alerts resend` leaves it alone."""
        self._finish(msg_id, status="opted_out", last_error=reason)
        log.info("message %d not sent: %s", msg_id, reason)

    def park(self, msg_id: int, error: BaseException) -> None:
        """The message made our own code or the database raise: take it out of the queue
        for good (an operator may resend it) rather than meet it again at the next claim."""
        reason = f"{PARKED}{type(error).__name__}: {error}"[:500]
        self._finish(msg_id, status="failed", failed_at=utcnow(), last_error=reason)
        log.error("message %d parked: %s", msg_id, reason)

    def retry_later(self, msg: Claimed, reason: str) -> bool:
        """A transient failure: wait and try again, or fail once attempts run out.

        Returns True when the message went back to the queue.
        """
        if msg.attempts >= self.config.max_attempts:
            self.mark_failed(msg.id, f"{reason} (gave up after {msg.attempts} attempts)")
            return False
        delay = min(self.config.retry_max, self.config.retry_base * 2 ** (msg.attempts - 1))
        self._finish(
            msg.id,
            status="queued",
            last_error=reason,
            next_attempt_at=utcnow() + timedelta(seconds=delay),
        )
        log.info("message %d queued again in %.0f s: %s", msg.id, delay, reason)
        return True

    def defer(self, msg_id: int, until: datetime, reason: str) -> None:
        """Not now (a subscriber's quiet hours): wait without counting an attempt."""
        self._finish(
            msg_id,
            status="queued",
            next_attempt_at=until,
            last_error=reason,
            attempts=Message.attempts - 1,
        )
        log.info("message %d deferred to %s UTC: %s", msg_id, f"{until:%Y-%m-%d %H:%M}", reason)

    def hand_back(self, msg_id: int, reason: str) -> None:
        """The modem, not the message, failed: put it back at once and do not count the try."""
        self._finish(
            msg_id,
            status="queued",
            last_error=reason,
            next_attempt_at=utcnow(),
            attempts=Message.attempts - 1,
        )
        log.info("message %d handed back: %s", msg_id, reason)
        self._notify()

    def unclaim(self, msg_id: int) -> None:
        """A message claimed ahead gives way: something more pressing may have been queued
        since (a text came in, and with it a duty forward). Back in the queue, untouched."""
        self._finish(
            msg_id, status="queued", next_attempt_at=utcnow(), attempts=Message.attempts - 1
        )

    def _finish(self, msg_id: int, **values: object) -> None:
        stmt = (
            update(Message)
            .where(
                Message.id == msg_id, Message.status == "sending", Message.claimed_by == self.node
            )
            .values(**values)
        )
        with self.engine.begin() as conn:
            if conn.execute(stmt).rowcount != 1:
                log.warning("message %d was no longer ours to finish (%s)", msg_id, values)

    def requeue_stale(self, modems: Iterable[str]) -> int:
        """After a crash: what this node left in `sending` goes back to the queue.

        These are the only messages that may reach a phone twice.
        """
        stmt = (
            update(Message)
            .where(
                Message.status == "sending",
                Message.claimed_by == self.node,
                Message.modem.in_(list(modems)),
            )
            .values(
                status="queued",
                next_attempt_at=utcnow(),
                last_error="requeued after the gateway stopped mid-send",
            )
        )
        with self.engine.begin() as conn:
            count = conn.execute(stmt).rowcount
        if count:
            log.warning("%d message(s) left sending by a stopped gateway queued again", count)
        return count

    def requeue_expired(self, now: datetime | None = None) -> int:
        """Messages some gateway claimed longer than `outbox.lease` ago and never finished:
        that gateway died. Back to the queue, for any gateway to take."""
        now = now or utcnow()
        stmt = (
            update(Message)
            .where(
                Message.status == "sending",
                Message.claimed_at < now - timedelta(seconds=self.config.lease),
            )
            .values(
                status="queued",
                next_attempt_at=now,
                last_error="requeued: the gateway that claimed it stopped answering",
            )
        )
        with self.engine.begin() as conn:
            count = conn.execute(stmt).rowcount
            if count:
                self.announce(conn)
        if count:
            log.warning("%d message(s) past their lease queued again", count)
            self._notify()
        return count

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Message.status, func.count()).group_by(Message.status))
            found = {status: n for status, n in rows}
        return {state: found.get(state, 0) for state in STATES}
