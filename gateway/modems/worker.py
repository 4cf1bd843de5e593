"""One thread owns one modem: it sends, reads what arrives, watches health, reconnects.

The loop is made of small steps that each say whether they found work, so tests can
call them one at a time. The modem's reader thread only queues events and wakes this
thread; it never touches the modem or the database itself. The worker is made of parts:
its `Link` to the modem (link.py: open, lose, health), its `Receiver` (receiver.py: what
arrives) and its `Resting` rules (resting.py: a failing modem pauses); this module keeps
the loop and the sending.

No message stops a worker. A text that makes storing or a handler raise is kept (see
receiver.py) and the loop goes on; an outbound message that makes the driver or the
database raise is parked. Anything else a step raises is logged, counted in `faults`,
and the loop pauses and turns again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from gateway.core.config import Config, ModemConfig
from gateway.inbox.store import Inbox, MessageHandler
from gateway.modems import status as modem_status
from gateway.modems.link import Link, ProbeFactory
from gateway.modems.pipeline import GiveWay, OutcomeNotWritten, Pipeline, passes
from gateway.modems.receiver import Receiver
from gateway.modems.resting import LAST_MODEM_REST, Resting
from gateway.outbox.budget import DUTY_RESERVE, Budget
from gateway.outbox.queue import Claimed, Outbox
from gateway.subscribers.gate import Verdict
from hardware.errors import ModemError, ModemNotReady, ModemTimeout, PortLost
from hardware.modem import Modem, ModemEvent

log = logging.getLogger(__name__)

BUDGET_NOTE_INTERVAL = 10.0  # seconds between updates of the remaining budget shown
FAULT_PAUSE = 1.0  # seconds a worker waits after a step raised something unforeseen
# A modem's row not written for this many health intervals (or budget notes, which a busy
# modem writes instead) is not taken as ready: its gateway may be dead.
HEARD_WITHIN = 3
Gate = Callable[[Claimed], Verdict]
__all__ = ["LAST_MODEM_REST", "Gate", "ModemWorker", "ProbeFactory"]


class ModemWorker:
    def __init__(
        self,
        modem: Modem,
        settings: ModemConfig,
        config: Config,
        engine: Engine,
        outbox: Outbox,
        inbox: Inbox,
        handlers: Sequence[MessageHandler] = (),
        *,
        probe: ProbeFactory | None = None,
        gate: Gate | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.modem = modem
        self.name = settings.name
        self.settings = settings
        self.config = config
        self.outbox = outbox
        self.gate = gate
        self.clock = clock
        self.beat = time.monotonic()  # each turn of the loop: the watchdog's sign of life
        self.wake = threading.Event()
        self.budget = Budget(
            settings.max_per_day, settings.max_recipients_per_day, reserve=DUTY_RESERVE
        )
        self.budget.seed(modem_status.recent_sends(engine, self.name))
        self._update = modem_status.Recorder(engine, self.name, config.node)
        self.link = Link(modem, self.name, config, self.budget, self._update, clock, probe)
        self.pipeline = Pipeline(
            self.name, outbox, self._passes_gate, track=config.outbox.status_reports
        )
        self.receiver = Receiver(
            modem, self.name, config, outbox, inbox, handlers, clock, settle=self.pipeline.settle
        )
        heard = HEARD_WITHIN * max(config.gateway.health_interval, BUDGET_NOTE_INTERVAL)
        self.resting = Resting(
            settings, config, engine, outbox, self._update, clock, heard_within=heard
        )
        self._stopping = threading.Event()
        self._next_send = 0.0
        self._next_budget_note = 0.0
        self._faults = 0  # unforeseen exceptions survived: shown in the log, never fatal
        self._thread = threading.Thread(target=self.run, name=f"modem-{self.name}", daemon=True)
        modem.set_event_handler(self._on_event)

    @property
    def state(self) -> str:
        """What `smsgw status` shows: ready, resting, disconnected, ... (see health.py)."""
        return self.link.state

    @property
    def faults(self) -> int:
        return self._faults + self.pipeline.faults

    @property
    def connected(self) -> bool:
        """Whether the modem is open and answering: what a caller waits for before it sends."""
        return self.link.connected

    # -- thread life -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _on_event(self, event: ModemEvent) -> None:
        self.receiver.on_event(event)
        self.wake.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.beat = time.monotonic()
            try:
                if not self.link.connected and not self.connect():
                    self._pause(self.link.backoff())
                    continue
                worked = self.step()
            except PortLost as exc:
                self._lost(str(exc))
                continue
            except ModemNotReady as exc:
                self._lost(str(exc), state=exc.state)
                continue
            except ModemTimeout as exc:
                self.release()
                self.link.unresponsive(exc)
                continue
            except Exception:  # a bug or a database that went away: never the end of a modem
                self._faults += 1
                if self._faults & (self._faults - 1) == 0:  # the 1st, 2nd, 4th...: not a flood
                    log.exception("modem %s: a step failed (%d so far)", self.name, self._faults)
                self._pause(FAULT_PAUSE)
                continue
            if not worked:
                self._pause(self._idle_wait())
        self.release()
        self.pipeline.close()
        self.modem.close()
        self.link.record("stopped")

    def stalled(self, limit: float) -> bool:
        """Dead, or stuck in one turn of its loop for over `limit` seconds."""
        return not self._thread.is_alive() or time.monotonic() - self.beat > limit

    def _pause(self, seconds: float) -> None:
        self.wake.wait(max(0.0, seconds))
        self.wake.clear()

    def _idle_wait(self) -> float:
        now = self.clock()
        waits = [
            self.config.outbox.poll_interval,
            self.receiver.next_sweep - now,
            self.link.next_health - now,
        ]
        if self._next_send > now:
            waits.append(self._next_send - now)
        return max(0.01, min(waits))

    def connect(self) -> bool:
        if not self.link.connect():
            return False
        self.receiver.next_sweep = 0.0  # read whatever piled up while we were away
        return True

    def _lost(self, detail: str, state: str = "disconnected") -> None:
        self.release()
        self.link.lost(detail, state)

    # -- steps -------------------------------------------------------------------------
    def step(self) -> bool:
        """Inbound first (a sighting must not wait behind a broadcast), then one send;
        delivery reports in batches when they pile up or the modem is idle."""
        return (
            self.read_inbound()
            or self.apply_reports()
            or self.send_one()
            or self.apply_reports(idle=True)
            or self.check_health()
            or self.sweep()
        )

    def read_inbound(self) -> bool:
        """Take what the modem announced. A text may queue a duty forward, which must not
        wait behind the message claimed ahead with the last outcome (the modem announces a
        text that came during a send right after that send's answer, so the claim can win
        the race): that message goes back to the queue and the next claim decides. Other
        events (a delivery report) leave the claim alone."""
        worked, texts = self.receiver.read_events()
        if texts:
            self.pipeline.drop_ahead(self.outbox.unclaim)
        return worked

    def apply_reports(self, idle: bool = False) -> bool:
        return self.receiver.apply_reports(idle, self.pipeline.reports)

    def sweep(self) -> bool:
        return self.receiver.sweep()

    def check_health(self) -> bool:
        """Sample signal and registration on a schedule, and say what changed."""
        now = self.clock()
        if now >= self.link.next_health:
            self.link.sample(now, resting=self.resting.active(now))
        return False

    def send_one(self) -> bool:
        """Send the message claimed during the last one's flight, or claim one now."""
        if not self._may_send():
            return self._idle()
        duty_ok, duty_to = self.budget.allows(duty=True)
        if not duty_ok:
            return self._idle()
        msg, ahead = self.pipeline.next(), True
        if msg is None:
            allowed, only_to = self.budget.allows()
            msg, ahead = (
                self.outbox.claim(self.name, only_to=only_to if allowed else (), duty_to=duty_to),
                False,
            )
            if msg is None:
                return self._idle()
            if not passes(self.outbox, self.name, self._passes_gate, msg):
                return True
        try:
            return self._send(msg, ahead)
        except (PortLost, ModemNotReady, ModemTimeout, OutcomeNotWritten):
            raise
        except Exception as exc:  # a bug must park the row, not loop on it
            log.exception("message %d crashed the sender", msg.id)
            self.outbox.park(msg.id, exc)
            self.pipeline.drop_ahead(self.outbox.unclaim)  # the next claim decides
            return True

    def settle(self) -> None:
        """Wait until the writer has done all it was given: the last outcome, the delivery
        reports (before idling, and for tests)."""
        self.pipeline.drain()

    def _idle(self) -> bool:
        """Nothing to send now: the last outcome on disk, the reports applied, and a
        message claimed ahead back in the queue rather than held while this modem cannot
        send it."""
        self.settle()
        self.pipeline.drop_ahead(self.outbox.unclaim)
        return False

    # -- sending -----------------------------------------------------------------------
    def _send(self, msg: Claimed, ahead: bool) -> bool:
        """Send `msg` while the writer claims the next (see pipeline.py)."""
        if self.settings.max_per_minute:
            self._next_send = self.clock() + 60.0 / self.settings.max_per_minute
        try:
            sent = self.modem.send(
                msg.to,
                msg.text,
                status_report=self.config.outbox.status_reports,
                before_body=self.pipeline.before_body(msg, ahead),
                in_flight=None if self.settings.max_per_minute else lambda: self._claim_ahead(msg),
            )
        except GiveWay:
            log.info("message %d gives way to a more pressing one", msg.id)
            self.outbox.unclaim(msg.id)
            return True
        except OutcomeNotWritten:
            self.outbox.hand_back(msg.id, f"{self.name}: the last outcome was not written")
            raise  # the loop pauses: the database is in trouble
        except (PortLost, ModemNotReady, ModemTimeout) as exc:
            self.outbox.hand_back(msg.id, f"{self.name}: {exc}")
            raise
        except ModemError as exc:
            self.settle()
            self._send_failed(msg, exc)
            # What was claimed during this flight gives way to a fresh claim: no outcome is
            # written here to check it against what was queued meanwhile.
            self.pipeline.drop_ahead(self.outbox.unclaim)
            return True
        self.budget.record(msg.to)
        _, duty_to = self.budget.allows(duty=True)
        allowed, only_to = self.budget.allows()
        self.pipeline.sent(msg, sent.references, only_to if allowed else (), duty_to)  # first
        self.resting.succeeded()
        self._publish_budget()
        return True

    def _claim_ahead(self, msg: Claimed) -> None:
        """Claim the next message during `msg`'s flight, counting `msg` as sent already;
        not while the modem has announced something (a text may queue a duty forward)."""
        if self.receiver.pending():
            return
        duty_ok, duty_to = self.budget.allows(duty=True, also=msg.to)
        if not duty_ok:
            return
        allowed, only_to = self.budget.allows(also=msg.to)
        self.pipeline.claim_ahead(only_to if allowed else (), duty_to)

    def _publish_budget(self) -> None:
        """Keep the remaining budget visible without a write per message."""
        left = self.budget.remaining()
        now = self.clock()
        if now < self._next_budget_note and 0 not in (left.messages, left.recipients):
            return
        self._next_budget_note = now + BUDGET_NOTE_INTERVAL
        self._update(day_left=left.messages, recipients_left=left.recipients)

    def _passes_gate(self, msg: Claimed) -> bool:
        if self.gate is None:
            return True
        verdict = self.gate(msg)
        if verdict.action == "drop":
            self.outbox.mark_opted_out(msg.id, verdict.reason)
        elif verdict.action == "defer" and verdict.until is not None:
            self.outbox.defer(msg.id, verdict.until, verdict.reason)
        return verdict.action == "send"

    def _may_send(self) -> bool:
        now = self.clock()
        if self.resting.until:
            if self.resting.holds(now):
                return False
            self.link.state = "ready"
            self.link.record("ready", "back from rest")
        return self.link.state == "ready" and now >= self._next_send

    def _send_failed(self, msg: Claimed, exc: ModemError) -> None:
        if exc.permanent:
            self.outbox.mark_failed(msg.id, str(exc))
            return
        self.outbox.retry_later(msg, str(exc))
        if self.resting.failed():
            self.rest(f"{self.resting.failures} failed sends in a row, last: {exc}")

    def rest(self, reason: str) -> None:
        """Stop sending for a while; the other modems carry on and the admin is told. The
        last modem that can send only pauses briefly (see resting.py)."""
        self.release()
        self.link.state = "resting"
        self.resting.begin(reason)

    def release(self) -> None:
        """Hand back a message claimed ahead but never sent (on stop, rest or a lost port).
        Called from the loop's own error handlers, so it never raises: what it cannot hand
        back (the database is away) the lease brings back."""
        try:
            self.settle()
            self.pipeline.drop_ahead(self._hand_back)
        except Exception:
            self._faults += 1
            log.exception("modem %s: the message claimed ahead could not be handed back", self.name)

    def _hand_back(self, msg_id: int) -> None:
        self.outbox.hand_back(msg_id, f"{self.name}: not sent, modem stopping")
