"""The durable outbox: every message is in the database before a modem sees it, and every
change of its state goes through the `Outbox`.

States (gateway/outbox/states.py draws them): queued -> sending -> sent -> delivered |
failed. The attempt is written before the send (queued -> sending, attempts + 1,
committed; gateway/outbox/claims.py) and the outcome after, so a crash leaves at most the
one message in flight to be sent again. On PostgreSQL each commit of new work sends
`NOTIFY smsgw_outbox`, which wakes the other gateways at once. A claim is a lease: a
message left `sending` longer than `outbox.lease` (its gateway died) goes back to the
queue for any gateway to take.

Priorities (gateway/outbox/priorities.py): duty first, then an alert's fan-out, then
replies and bulk. A message that makes the sender raise is parked (failed, its reason
starting "parked:"), never retried in a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy import text as sql

from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.core.privacy import mask
from gateway.outbox import claims, states
from gateway.outbox.claims import SIM, Claimed, DutyTo
from gateway.outbox.handover import HandOver
from gateway.outbox.outcomes import Outcomes
from gateway.outbox.priorities import PRIORITIES, UnknownPriority, priority_value
from gateway.outbox.rows import Item, insert_in, queued_row
from gateway.outbox.states import PARKED, STATES

if TYPE_CHECKING:  # the codec stays unloaded for `smsgw send`
    pass

# Where other modules and tests have always found them.
__all__ = [
    "NOTIFY_CHANNEL",
    "PARKED",
    "PRIORITIES",
    "STATES",
    "Claimed",
    "Outbox",
    "UnknownPriority",
    "priority_value",
]

log = logging.getLogger(__name__)

LOG_EACH_UP_TO = 10  # a broadcast logs one line for its batch, not one per recipient
NOTIFY_CHANNEL = "smsgw_outbox"
_NOTIFY = sql(f"NOTIFY {NOTIFY_CHANNEL}")


class Outbox(Outcomes, HandOver):
    def __init__(self, engine: Engine, config: OutboxConfig, node: str) -> None:
        self.engine = engine
        self.config = config
        self.node = node
        self._listeners: list[Callable[[], None]] = []
        # Senders whose `sending` messages a lease never requeues (gateway/channels/).
        self.keep_on_lease: tuple[str, ...] = ()
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

    # -- queueing ----------------------------------------------------------------------
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
        items: Iterable[Item],
        priority: str = "normal",
        *,
        kind: str = "direct",
        alert_id: int | None = None,
        ids: bool = True,
        channel: str = SIM,
    ) -> list[int]:
        """Queue messages in one transaction, in the given order; returns their ids.

        An item is (number, text) or, for a broadcast, (number, text, list id). With
        `ids=False` the ids are not read back (a fan-out of thousands does not need them)
        and [] is returned. `channel`: "sim", a hosted service's name, or "email" (the
        item's "number" is then an address).
        """
        rows = self._rows(items, priority, kind, alert_id, channel)
        if not rows:
            return []
        with self.engine.begin() as conn:
            made = insert_in(conn, rows, ids=ids, postgres=self.postgres)
            self.announce(conn)
        if not ids:
            log.info("%d %s message(s) queued (%s)", len(rows), kind, priority)
        elif len(made) > LOG_EACH_UP_TO:
            log.info(
                "messages %d-%d queued (%d, %s, %s)", made[0], made[-1], len(made), kind, priority
            )
        else:
            for msg_id, row in zip(made, rows, strict=True):
                log.info("message %d queued (%s, to %s)", msg_id, priority, mask(str(row["to"])))
        self._notify()
        return made

    def enqueue_many_in(
        self,
        conn: Connection,
        items: Iterable[Item],
        priority: str = "normal",
        *,
        kind: str = "direct",
        alert_id: int | None = None,
        channel: str = SIM,
    ) -> int:
        """`enqueue_many` inside the caller's transaction (ids not read back); returns how
        many were queued. Call `wake()` after the commit."""
        rows = self._rows(items, priority, kind, alert_id, channel)
        if rows:
            insert_in(conn, rows, ids=False, postgres=self.postgres)
            self.announce(conn)
        return len(rows)

    def _rows(
        self,
        items: Iterable[Item],
        priority: str,
        kind: str,
        alert_id: int | None,
        channel: str,
    ) -> list[dict[str, object]]:
        level = priority_value(priority)
        now = utcnow()
        return [queued_row(item, level, kind, alert_id, now, channel) for item in items]

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
        row = queued_row((to, text), priority_value(priority), kind, None, utcnow())
        row["dedupe_key"] = key
        msg_id = conn.execute(insert(Message).returning(Message.id), row).scalar_one()
        self.announce(conn)
        log.info("message %d queued (%s, to %s)", msg_id, priority, mask(to))
        return int(msg_id)

    # -- sending -----------------------------------------------------------------------
    def claim(
        self,
        modem: str,
        now: datetime | None = None,
        *,
        only_to: Collection[str] | None = None,
        duty_to: DutyTo = "same",
        channels: Sequence[str] = (SIM,),
    ) -> Claimed | None:
        """Take the most pressing message that is due, or None when there is nothing to do.

        With `only_to`, only a message to one of those numbers; duty traffic obeys
        `duty_to` instead when it is given (None: duty may go to anyone). Only messages
        queued for one of `channels` (a modem: "sim").
        """
        now = now or utcnow()
        for _ in range(3):  # another worker may win the row between the select and the update
            with self.engine.begin() as conn:
                claimed = self._claim(conn, modem, now, only_to, duty_to, channels)
            if claimed is not None:
                return claimed
            with self.engine.connect() as conn:
                if not claims.any_due(conn, now):
                    return None
        return None

    def _claim(
        self,
        conn: Connection,
        modem: str,
        now: datetime,
        only_to: Collection[str] | None,
        duty_to: DutyTo,
        channels: Sequence[str] = (SIM,),
    ) -> Claimed | None:
        return claims.claim_in(
            conn,
            modem,
            self.node,
            now,
            only_to,
            duty_to,
            skip_locked=self.postgres,
            channels=channels,
        )

    # -- recovery ----------------------------------------------------------------------
    def requeue_stale(self, modems: Iterable[str]) -> int:
        """After a crash: what this node left in `sending` goes back to the queue.

        These are the only messages that may reach a phone twice.
        """
        with self.engine.begin() as conn:
            count = states.requeue_stale_in(conn, self.node, modems, utcnow())
        if count:
            log.warning("%d message(s) left sending by a stopped gateway queued again", count)
        return count

    def requeue_expired(self, now: datetime | None = None) -> int:
        """Messages some gateway claimed longer than `outbox.lease` ago and never finished:
        that gateway died. Back to the queue, for any gateway to take; except what a hosted
        service or email held (`keep_on_lease`), which that channel's worker asks about."""
        now = now or utcnow()
        with self.engine.begin() as conn:
            count = states.requeue_expired_in(
                conn, now - timedelta(seconds=self.config.lease), now, self.keep_on_lease
            )
            if count:
                self.announce(conn)
        if count:
            log.warning("%d message(s) past their lease queued again", count)
            self._notify()
        return count

    # -- an alert's messages -----------------------------------------------------------
    def cancel_in(self, conn: Connection, *, alert_id: int, by: str) -> int:
        """Inside the caller's transaction (the one that cancels the alert): stop the
        alert's messages not yet handed to a modem; returns how many were stopped."""
        count = states.cancel_in(conn, alert_id, f"cancelled by {by}")
        log.info("%d message(s) of alert %d cancelled by %s", count, alert_id, by)
        return count

    def cancel(self, *, alert_id: int, by: str) -> int:
        with self.engine.begin() as conn:
            return self.cancel_in(conn, alert_id=alert_id, by=by)

    def resend_failed(self, *, alert_id: int) -> int:
        """Queue again the alert's failed messages, attempts counted afresh; an opted-out
        recipient is not a failure and is never sent again. Returns how many."""
        with self.engine.begin() as conn:
            count = states.resend_failed_in(conn, alert_id, utcnow())
        if count:
            log.info("%d failed message(s) of alert %d queued again", count, alert_id)
            self._notify()
        return count

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Message.status, func.count()).group_by(Message.status))
            found = {status: n for status, n in rows}
        return {state: found.get(state, 0) for state in STATES}
