"""What a sender learns about a message it claimed: sent (and the claim ahead of it),
failed, parked, back to the queue now or later. Mixed into `Outbox`; every write goes
through gateway/outbox/states.py."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.outbox import claims, delivery, states
from gateway.outbox.claims import Claimed, DutyTo
from gateway.outbox.sent_record import SentRecorder
from gateway.outbox.states import PARKED

if TYPE_CHECKING:  # the codec stays unloaded for `smsgw send`
    from hardware.pdu import StatusReport

log = logging.getLogger("gateway.outbox.queue")


class Outcomes:
    engine: Engine
    config: OutboxConfig
    node: str

    def _notify(self) -> None: ...

    def mark_sent(
        self, msg_id: int, refs: Sequence[int], *, modem: str = "", track: bool = False
    ) -> None:
        """Record a send (a modem's worker uses `record_sent`, with the claim ahead)."""
        self.record_sent(msg_id, refs, modem=modem, track=track)

    def record_sent(
        self,
        msg_id: int,
        refs: Sequence[int],
        *,
        modem: str,
        track: bool = False,
        ahead: Claimed | None = None,
        only_to: Collection[str] | None = None,
        duty_to: DutyTo = "same",
        recorder: SentRecorder | None = None,
    ) -> bool:
        """Record a send alone, while the modem already answers the prompt for `ahead`,
        the message claimed during this one's flight (see gateway/modems/pipeline.py).
        Returns False when a message queued since outranks `ahead` under the same limits
        (`only_to`, `duty_to`, as for a claim): it then gives way before its body goes.
        With a `recorder`, on its own connection unless the limits name numbers."""
        now = utcnow()
        if recorder is not None and only_to is None and duty_to in (None, "same"):
            done, outranked = recorder.record(msg_id, refs, track=track, ahead=ahead)
        else:
            with self.engine.begin() as conn:
                done = states.sent_in(conn, msg_id, self.node, now, refs)
                if done and refs and track:
                    delivery.track_in(conn, msg_id, modem, refs, now)
                outranked = ahead is not None and claims.outranked_in(
                    conn, ahead, now, only_to, duty_to
                )
        if not done:
            log.warning("message %d was no longer ours to mark sent", msg_id)
        log.info("message %d sent (%d part(s))", msg_id, max(1, len(refs)))
        return not outranked

    def recorder(self, modem: str) -> SentRecorder:
        """A modem's own connection for `record_sent` (its writer thread holds it)."""
        return SentRecorder(self.engine, self.node, modem)

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
        with self.engine.begin() as conn:
            if not states.finish_in(conn, msg_id, self.node, **values):
                log.warning("message %d was no longer ours to finish (%s)", msg_id, values)

    def apply_reports(self, modem: str, reports: Sequence[StatusReport]) -> list[int | None]:
        """Delivery reports from `modem`, in one transaction: sent -> delivered or failed.
        For each, the id of the message it settled, or None."""
        return delivery.apply_many(self.engine, modem, reports, self.config.report_window)
