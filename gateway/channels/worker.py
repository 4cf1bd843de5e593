"""One thread per hosted service, and one for email: it claims its channel's messages from
the outbox and hands them over, at the channel's rate, within its daily cap.

Like a modem's worker (gateway/modems/worker.py), the loop is made of steps that each say
whether they found work, so tests call them one at a time. A hosted service takes:
- the messages queued for it (an alert's overflow, gateway/alerts/reach.py);
- with `use = "failover"`, SIM messages too, while no modem can send (officer forwards
  included); with `use = "always"`, SIM messages beside the modems.

A message is marked `sending` (committed) before the request, as for a modem. When the
answer is lost (`ProviderUnsure`), the service is asked for the message before anything
is sent again (`Provider.find`); a service that cannot be asked (FastSMS) gets the message
parked for an operator, never a second copy. A fault of the service's (no credit, a bad
token, 429, unreachable) pauses the channel; the message keeps its attempts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from gateway.channels import polling, reports
from gateway.channels.base import CannotTell, Provider, ProviderError, ProviderUnsure
from gateway.channels.pace import Pace
from gateway.core.db import utcnow
from gateway.inbox.store import Inbox, MessageHandler
from gateway.modems import status as modem_status
from gateway.outbox.budget import Budget
from gateway.outbox.claims import Claimed
from gateway.outbox.queue import Outbox
from gateway.subscribers.gate import Verdict

log = logging.getLogger(__name__)

NOTE_EVERY = 10.0  # seconds between writes of the channel's row in modem_status
POLL_EVERY = 30.0  # seconds between rounds of asking a service for delivery status ...
POLL_BACKLOG = 5.0  # ... or this, while a round finds more to ask about than it can
FAULT_PAUSE = 1.0
CLOCK_SLACK = 30.0  # seconds a service's clock may be behind ours when a message is looked up
SIM = "sim"

Gate = Callable[[Claimed], Verdict]


class Sender(Protocol):
    """What a worker hands a message to."""

    name: str

    def hand_over(self, msg: Claimed) -> str:
        """Send it; the service's id for it ("" when it gives none). Raises ProviderError."""
        ...

    def close(self) -> None:
        """Let go of any connection kept between messages (the worker is stopping)."""
        ...


class ProviderSender:
    """A hosted service as a Sender: its id for the message is what status checks quote."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.name = provider.name

    def hand_over(self, msg: Claimed) -> str:
        return self.provider.send(msg.to, msg.text).ref

    def close(self) -> None:
        """Each request is its own connection: nothing kept."""


class ChannelWorker:
    def __init__(
        self,
        sender: Sender,
        *,
        kind: str,  # "provider" or "email": what modem_status shows
        engine: Engine,
        outbox: Outbox,
        node: str,
        use: str = "overflow",
        max_per_second: float = 0.0,
        max_per_day: int = 0,
        gate: Gate | None = None,
        provider: Provider | None = None,  # for status polling and lost answers
        inbox: Inbox | None = None,  # with `handlers`: texts its webhook left unrouted
        handlers: Sequence[MessageHandler] = (),
        heard_within: float = 180.0,
        grace: float = 60.0,  # after start, modems have this long to say how they are
        poll_interval: float = 0.5,
        report_window: float = 172800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self.name = sender.name
        self.kind = kind
        self.engine = engine
        self.outbox = outbox
        self.node = node
        self.use = use
        self.pace = Pace(max_per_second)
        self.gate = gate
        self.provider = provider
        self.inbox = inbox
        self.handlers = handlers
        self.heard_within = heard_within
        self.grace = grace
        self.poll_interval = poll_interval
        self.report_window = report_window
        self.clock = clock
        self.budget = Budget(max_per_day, 0)
        self.budget.seed(modem_status.recent_sends(engine, self.name))
        self.state = "ready" if use != "never" else "not-sending"
        self.detail = ""
        self.paused_until = 0.0
        self.started = clock()
        self.beat = time.monotonic()
        self.faults = 0
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._next_note = 0.0
        self._requested = False  # the message in hand was sent to the service
        self._unwritten: dict[int, str] = {}  # handed over, not yet recorded: id -> ref
        self._next_poll = 0.0
        self._record = modem_status.Recorder(engine, self.name, node)
        self._thread = threading.Thread(target=self.run, name=f"{kind}-{self.name}", daemon=True)

    # -- thread life -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def stalled(self, limit: float) -> bool:
        return not self._thread.is_alive() or time.monotonic() - self.beat > limit

    def run(self) -> None:
        self.note(force=True)
        self.recover()
        while not self._stopping.is_set():
            self.beat = time.monotonic()
            try:
                worked = self.step()
            except Exception:  # the database went away, or a bug: never the end of a channel
                self.faults += 1
                if self.faults & (self.faults - 1) == 0:
                    log.exception(
                        "%s %s: a step failed (%d so far)", self.kind, self.name, self.faults
                    )
                self._pause(FAULT_PAUSE)
                continue
            if not worked:
                self._pause(self._idle_wait())
        self.sender.close()
        self.state = "stopped"
        self.note(force=True)

    def _pause(self, seconds: float) -> None:
        self.wake.wait(max(0.0, seconds))
        self.wake.clear()

    def _idle_wait(self) -> float:
        """Until the next thing due: a send slot (ms apart at a high rate: a coarse sleep
        here would cap the rate), a status poll, a note, the end of a pause."""
        now = self.clock()
        waits = [self.poll_interval, self._next_note - now]
        if self.provider is not None:
            waits.append(self._next_poll - now)
        if self.paused_until > now:
            waits.append(self.paused_until - now)
        elif pace := self.pace.wait(now):
            waits.append(pace)
        return max(0.001, min(waits))

    # -- steps -------------------------------------------------------------------------
    def step(self) -> bool:
        """Sends first; status polls only when there is nothing to send (they share the
        service's pace)."""
        self.write_handed()
        worked = self.send_one()
        if not worked:
            self.poll_status()
        self.note()
        return worked

    def channels(self) -> tuple[str, ...]:
        """Which queues this worker may take from now."""
        if self.use == "never":
            return ()
        if self.use == "always" or (self.use == "failover" and not self._a_modem_can_send()):
            return (self.name, SIM)
        return (self.name,)

    def _a_modem_can_send(self) -> bool:
        if self.clock() - self.started < self.grace:
            return True  # just started: give the modems time to say how they are
        return modem_status.others_can_send(self.engine, self.name, heard_within=self.heard_within)

    def send_one(self) -> bool:
        now = self.clock()
        if now < self.paused_until or self.pace.wait(now) > 0:
            return False
        if self.state == "paused":
            self.state, self.detail = "ready", ""
            self.recover()
        channels = self.channels()
        if not channels:
            return False
        allowed, _ = self.budget.allows()
        if not allowed:
            self.state, self.detail = "day-limit", "its max_per_day is spent"
            return False
        if self.state == "day-limit":
            self.state, self.detail = "ready", ""
        msg = self.outbox.claim(self.name, only_to=None, duty_to=None, channels=channels)
        if msg is None:
            return False
        self._requested = False
        try:
            self._send(msg)
        except Exception as exc:
            if self._requested:  # the service may have it: left `sending`, asked about later
                log.exception("message %d: %s after its request", msg.id, type(exc).__name__)
                self.faults += 1
            else:  # our code or the database before the request: park it, never loop on it
                log.exception("message %d crashed the %s sender %s", msg.id, self.kind, self.name)
                self.outbox.park(msg.id, exc)
        return True

    def _send(self, msg: Claimed) -> None:
        if self.gate is not None:
            verdict = self.gate(msg)
            if verdict.action == "drop":
                self.outbox.mark_opted_out(msg.id, verdict.reason)
                return
            if verdict.action == "defer" and verdict.until is not None:
                self.outbox.defer(msg.id, verdict.until, verdict.reason)
                return
        self.pace.started(self.clock())  # as late as can be: when the service counts it
        self._requested = True
        try:
            ref = self.sender.hand_over(msg)
        except ProviderUnsure as exc:
            self._unsure(msg, exc)
            return
        except ProviderError as exc:
            self._failed(msg, exc)
            return
        self._handed(msg, ref)

    def _handed(self, msg: Claimed, ref: str) -> None:
        """It went: recorded now, or, if the database will not take it, at the next step
        (never parked as failed, which an operator's resend would send twice)."""
        self.budget.record(msg.to)
        self._unwritten[msg.id] = ref
        self.write_handed()

    def write_handed(self) -> None:
        for msg_id, ref in list(self._unwritten.items()):
            try:
                self.outbox.mark_handed(msg_id, ref, sender=self.name)
            except Exception:
                log.exception("message %d went by %s; its record waits", msg_id, self.name)
                return
            del self._unwritten[msg_id]

    def _failed(self, msg: Claimed, exc: ProviderError) -> None:
        reason = f"{self.name}: {exc}" + (f" (code {exc.code})" if exc.code is not None else "")
        if exc.permanent:
            self.outbox.mark_failed(msg.id, reason)
        elif exc.service:
            self.outbox.hand_back(msg.id, reason)
            self.pause(exc.retry_after or 30.0, reason)
        elif exc.retry_after:
            self.outbox.defer(msg.id, utcnow() + timedelta(seconds=exc.retry_after), reason)
        else:
            self.outbox.retry_later(msg, reason)

    def _unsure(self, msg: Claimed, exc: ProviderUnsure) -> None:
        """The request went and its answer did not come. The message stays `sending` and
        the service is asked about it when the pause ends (`recover`): asked at once, a
        service still making it could say "no such message"."""
        log.warning("message %d: %s did not answer (%s)", msg.id, self.name, exc)
        self.pause(exc.retry_after or 30.0, f"no answer: {exc}")

    def settle_unknown(self, msg_id: int, to: str, text: str, since: datetime) -> None:
        """A message this worker holds whose fate at the service is unknown."""
        if self.provider is None:  # email: SMTP either took it or said no
            self.outbox.hand_back(msg_id, f"{self.name}: no answer")
            return
        try:
            found = self.provider.find(to, text, since, self.outbox.refs_sent(self.name, to, since))
        except CannotTell:
            self.outbox.park(
                msg_id,
                ProviderUnsure(
                    f"{self.name} did not answer and cannot be asked whether it sent "
                    "the message; resend it only if it was not delivered"
                ),
            )
            return
        except ProviderError as exc:  # cannot ask now: keep it `sending` for recover()
            log.warning("message %d: cannot ask %s yet: %s", msg_id, self.name, exc)
            return
        if found is None:
            self.outbox.hand_back(msg_id, f"{self.name} did not get it; sending again")
        else:
            self.budget.record(to)
            self.outbox.mark_handed(msg_id, found.ref, sender=self.name)

    def recover(self) -> None:
        """At start, after a lost answer, and at each status round while any is left:
        messages `sending` here that nobody finished (this gateway's, or a dead one's past
        its lease), each asked about before anything is sent again."""
        for held in self.outbox.held_by(self.name):
            if held.id not in self._unwritten:
                since = held.claimed_at - timedelta(seconds=CLOCK_SLACK)
                self.settle_unknown(held.id, held.to, held.text, since)

    def pause(self, seconds: float, reason: str) -> None:
        self.paused_until = self.clock() + seconds
        self.state, self.detail = "paused", reason
        log.warning("%s %s paused %.0f s: %s", self.kind, self.name, seconds, reason)
        self.note(force=True)

    def poll_status(self) -> bool:
        """Delivery status from the service, asked for (works behind NAT); and the texts
        its webhook filed whose routing failed, routed again (as a modem's sweep does)."""
        now = self.clock()
        if self.provider is None or now < self._next_poll:
            return False
        self._next_poll = now + POLL_EVERY
        self.recover()
        if self.inbox is not None:
            for text in self.inbox.unrouted(self.name, older_than=POLL_EVERY):
                reports.route(self.inbox, self.handlers, text)
        asked, settled = polling.poll(
            self.engine, self.provider, self.report_window, may_ask=self._may_ask
        )
        if asked >= polling.BATCH:
            self._next_poll = now + POLL_BACKLOG
        return settled > 0

    def _may_ask(self) -> bool:
        """A status request counts against the service's ceiling like a send."""
        now = self.clock()
        if self.pace.wait(now) > 0:
            return False
        self.pace.started(now)
        return True

    def note(self, *, force: bool = False) -> None:
        now = self.clock()
        if not force and now < self._next_note:
            return
        self._next_note = now + NOTE_EVERY
        left = self.budget.remaining()
        self._record(
            state=self.state,
            detail=self.detail,
            channel=self.kind,
            model=self.kind,
            day_left=left.messages,
        )
