"""The durable outbox: every message is in the database before a modem sees it.

States: queued -> sending -> sent -> delivered | failed. The attempt is written before
the send (queued -> sending, attempts + 1, committed) and the outcome after, so a crash
leaves at most the one message in flight to be sent again. A worker claims with one
conditional UPDATE checked by what it returns, which stays safe with several workers
and several daemons on one database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update

from gateway.config import OutboxConfig
from gateway.db import utcnow
from gateway.models import Message
from gateway.privacy import mask

log = logging.getLogger(__name__)

PRIORITIES = {"urgent": 0, "normal": 1, "bulk": 2}
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}
STATES = ("queued", "sending", "sent", "delivered", "failed")


class UnknownPriority(ValueError):
    pass


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    text: str
    priority: int
    attempts: int


def priority_value(name: str) -> int:
    try:
        return PRIORITIES[name]
    except KeyError:
        raise UnknownPriority(
            f"priority must be one of {', '.join(PRIORITIES)}, not {name!r}"
        ) from None


class Outbox:
    def __init__(self, engine: Engine, config: OutboxConfig, node: str) -> None:
        self.engine = engine
        self.config = config
        self.node = node
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, wake: Callable[[], None]) -> None:
        """Called after new work is committed, so idle workers in this process start at once."""
        self._listeners.append(wake)

    def _notify(self) -> None:
        for wake in self._listeners:
            wake()

    def enqueue(self, to: str, text: str, priority: str = "normal") -> int:
        return self.enqueue_many([(to, text)], priority)[0]

    def enqueue_many(self, items: Iterable[tuple[str, str]], priority: str = "normal") -> list[int]:
        """Queue messages in one transaction, in the given order; returns their ids."""
        level = priority_value(priority)
        now = utcnow()
        rows = [
            {
                "to": to,
                "text": text,
                "priority": level,
                "status": "queued",
                "attempts": 0,
                "parts": 1,
                "created_at": now,
                "next_attempt_at": now,
            }
            for to, text in items
        ]
        if not rows:
            return []
        with self.engine.begin() as conn:
            ids = list(
                conn.scalars(
                    insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
                )
            )
        for msg_id, row in zip(ids, rows, strict=True):
            log.info("message %d queued (%s, to %s)", msg_id, priority, mask(str(row["to"])))
        self._notify()
        return ids

    def claim(self, modem: str, now: datetime | None = None) -> Claimed | None:
        """Take the most urgent message that is due, or None when there is nothing to do."""
        now = now or utcnow()
        due = (
            select(Message.id)
            .where(Message.status == "queued", Message.next_attempt_at <= now)
            .order_by(Message.priority, Message.id)
            .limit(1)
            .scalar_subquery()
        )
        stmt = (
            update(Message)
            .where(Message.id == due, Message.status == "queued")
            .values(
                status="sending",
                attempts=Message.attempts + 1,
                modem=modem,
                claimed_by=self.node,
                claimed_at=now,
            )
            .returning(Message.id, Message.to, Message.text, Message.priority, Message.attempts)
        )
        for _ in range(3):  # another worker may win the row between the select and the update
            with self.engine.begin() as conn:
                row = conn.execute(stmt).first()
            if row is not None:
                log.info("message %d sending on %s (attempt %d)", row.id, modem, row.attempts)
                return Claimed(row.id, row.to, row.text, row.priority, row.attempts)
            if not self._any_due(now):
                return None
        return None

    def _any_due(self, now: datetime) -> bool:
        with self.engine.connect() as conn:
            q = select(Message.id).where(Message.status == "queued", Message.next_attempt_at <= now)
            return conn.execute(q.limit(1)).first() is not None

    def mark_sent(self, msg_id: int, refs: Iterable[int]) -> None:
        ref_list = [str(r) for r in refs]
        self._finish(
            msg_id,
            status="sent",
            sent_at=utcnow(),
            refs=",".join(ref_list),
            parts=max(1, len(ref_list)),
            last_error=None,
        )
        log.info("message %d sent (%d part(s))", msg_id, max(1, len(ref_list)))

    def mark_failed(self, msg_id: int, reason: str) -> None:
        self._finish(msg_id, status="failed", failed_at=utcnow(), last_error=reason)
        log.warning("message %d failed: %s", msg_id, reason)

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

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Message.status, func.count()).group_by(Message.status))
            found = {status: n for status, n in rows}
        return {state: found.get(state, 0) for state in STATES}
