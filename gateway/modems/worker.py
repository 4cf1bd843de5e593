"""One thread owns one modem: it sends, reads what arrives, watches health, reconnects.

The loop is made of small steps that each say whether they found work, so tests can
call them one at a time. The modem's reader thread only queues events and wakes this
thread; it never touches the modem or the database itself.

No message stops a worker. A text that makes storing or a handler raise is kept (its
raw PDU, or the stored text with its routing marked as not done) and the loop goes on;
an outbound message that makes the driver or the database raise is parked. Anything
else a step raises is logged, counted in `faults`, and the loop pauses and turns again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import Engine

from gateway.core.config import Config, ModemConfig
from gateway.core.db import utcnow
from gateway.inbox.store import Inbox, IncomingPart, MessageHandler, Received
from gateway.modems import health
from gateway.modems import status as modem_status
from gateway.outbox import delivery
from gateway.outbox.budget import DUTY_RESERVE, Budget
from gateway.outbox.queue import Claimed, Outbox
from gateway.subscribers.gate import Verdict
from hardware.errors import ModemError, ModemNotReady, ModemTimeout, PortLost
from hardware.modem import Modem, ModemEvent, NetworkState, StoredPdu
from hardware.pdu import Deliver, PduError, StatusReport, decode_incoming, decode_status_report

log = logging.getLogger(__name__)

RECONNECT_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds between attempts to reopen
UNHEALTHY_RECHECK = 5.0  # seconds between health samples while a modem cannot send
BUDGET_NOTE_INTERVAL = 10.0  # seconds between updates of the remaining budget shown
REPORT_BATCH = 50  # delivery reports applied in one transaction ...
REPORT_WAIT = 1.0  # ... or once the oldest has waited this many seconds
FAULT_PAUSE = 1.0  # seconds a worker waits after a step raised something unforeseen
# The last modem that can send never rests longer than this (README "Modems in the field"):
# it pauses for the outbox's retry wait, doubling with each rest in a row, up to this.
LAST_MODEM_REST = 60.0
# A modem's row not written for this many health intervals (or budget notes, which a busy
# modem writes instead) is not taken as ready: its gateway may be dead.
HEARD_WITHIN = 3
ProbeFactory = Callable[[str], Modem]
Gate = Callable[[Claimed], Verdict]


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
        self.engine = engine
        self.outbox = outbox
        self.inbox = inbox
        self.handlers = list(handlers)
        self.probe = probe
        self.gate = gate
        self.clock = clock
        self.beat = time.monotonic()  # each turn of the loop: the watchdog's sign of life
        self.connected = False
        self.state = "starting"
        self.imei = ""
        self.wake = threading.Event()
        self.events: queue.SimpleQueue[ModemEvent] = queue.SimpleQueue()
        self.reports: deque[tuple[float, str]] = deque()  # (when, PDU) of +CDS reports
        self.budget = Budget(
            settings.max_per_day, settings.max_recipients_per_day, reserve=DUTY_RESERVE
        )
        self.budget.seed(modem_status.recent_sends(engine, self.name))
        self._stopping = threading.Event()
        self._failures = 0  # failed opens in a row
        self._send_failures = 0  # failed sends in a row
        self._rest_until = 0.0
        self._rests = 0  # rests since the last good send
        self._next_rest_check = 0.0
        self._admin_told = ""  # "", or "short"/"long": the rest the admin was last told of
        self._next_sweep = 0.0
        self._next_send = 0.0
        self._next_health = 0.0
        self._next_budget_note = 0.0
        self._claimed: Claimed | None = None  # claimed with the last outcome, not yet sent
        self.faults = 0  # unforeseen exceptions survived: shown in the log, never fatal
        self._thread = threading.Thread(target=self.run, name=f"modem-{self.name}", daemon=True)
        modem.set_event_handler(self._on_event)

    # -- thread life -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _on_event(self, event: ModemEvent) -> None:
        if event.kind == "status-report" and event.pdu:
            self.reports.append((self.clock(), event.pdu))  # applied in batches, off the send path
        else:
            self.events.put(event)
        self.wake.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.beat = time.monotonic()
            try:
                if not self.connected and not self.connect():
                    self._pause(RECONNECT_BACKOFF[min(self._failures, len(RECONNECT_BACKOFF)) - 1])
                    continue
                worked = self.step()
            except PortLost as exc:
                self._lost(str(exc))
                continue
            except ModemNotReady as exc:
                self._lost(str(exc), state=exc.state)
                continue
            except ModemTimeout as exc:
                self._unresponsive(exc)
                continue
            except Exception:  # a bug or a database that went away: never the end of a modem
                self.faults += 1
                if self.faults & (self.faults - 1) == 0:  # the 1st, 2nd, 4th...: not a flood
                    log.exception("modem %s: a step failed (%d so far)", self.name, self.faults)
                self._pause(FAULT_PAUSE)
                continue
            if not worked:
                self._pause(self._idle_wait())
        self.release()
        self.modem.close()
        self._record("stopped")

    def stalled(self, limit: float) -> bool:
        """Dead, or stuck in one turn of its loop for over `limit` seconds."""
        return not self._thread.is_alive() or time.monotonic() - self.beat > limit

    def _pause(self, seconds: float) -> None:
        self.wake.wait(max(0.0, seconds))
        self.wake.clear()

    def _idle_wait(self) -> float:
        now = self.clock()
        waits = [self.config.outbox.poll_interval, self._next_sweep - now, self._next_health - now]
        if self._next_send > now:
            waits.append(self._next_send - now)
        return max(0.01, min(waits))

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

    def apply_reports(self, idle: bool = False) -> bool:
        if not self.reports:
            return False
        if (
            not idle
            and len(self.reports) < REPORT_BATCH
            and (self.clock() - self.reports[0][0] < REPORT_WAIT)
        ):
            return False
        batch: list[StatusReport] = []
        while self.reports:
            _, pdu = self.reports.popleft()
            try:
                batch.append(decode_status_report(pdu))
            except PduError as exc:
                log.warning("unreadable status report on %s: %s", self.name, exc)
        delivery.apply_many(self.engine, self.name, batch, self.config.outbox.report_window)
        return True

    def connect(self) -> bool:
        self._record("starting", "opening the port", port=self.modem.port)
        try:
            self.modem.open()
            ident = self.modem.identity()
            net = self.modem.network()
        except ModemNotReady as exc:
            return self._open_failed(exc.state, str(exc))
        except PortLost as exc:
            if self._relocate():
                return self.connect()
            return self._open_failed("disconnected", str(exc))
        except ModemError as exc:
            return self._open_failed("unresponsive", str(exc))
        self.connected = True
        self._failures = 0
        self.imei = ident.imei or self.imei
        self._next_sweep = 0.0  # read whatever piled up while we were away
        self._next_health = self.clock() + self.config.gateway.health_interval
        self.state, detail = health.state_of(net)
        self._record(
            self.state,
            detail,
            manufacturer=ident.manufacturer,
            model=ident.model,
            imei=ident.imei,
            port=self.modem.port,
            **self._network_info(net),
        )
        log.info(
            "modem %s %s on %s: %s %s, %s",
            self.name,
            self.state,
            self.modem.port,
            ident.manufacturer,
            ident.model,
            net.operator or "operator unknown",
        )
        return True

    def _open_failed(self, state: str, detail: str) -> bool:
        self._failures += 1
        self.modem.close()
        self.state = state
        self._record(state, detail, last_error=detail)
        log.warning("modem %s not usable (%s): %s", self.name, state, detail)
        return False

    def _relocate(self) -> bool:
        """The port is gone: look for our modem, by IMEI, under another name."""
        if not self.imei or self.probe is None:
            return False
        exclude = [self.modem.port]
        path = health.find_by_imei(
            self.imei, health.candidates(self.config.gateway.port_search, exclude), self.probe
        )
        if path is None:
            return False
        log.warning("modem %s found again at %s (was %s)", self.name, path, self.modem.port)
        self.modem.port = path
        return True

    def _lost(self, detail: str, state: str = "disconnected") -> None:
        log.warning("modem %s lost: %s", self.name, detail)
        self.release()
        self.connected = False
        self.modem.close()
        self.state = state
        self._record(state, detail, last_error=detail)

    def _unresponsive(self, exc: ModemTimeout) -> None:
        """A hung modem: try the AT layer once, then close and reopen the port (never a
        full modem reset: AT+CFUN=1,1 turns some Huawei dongles into a USB disk)."""
        self.release()
        try:
            self.modem.network()
        except ModemError:
            self._lost(f"not answering: {exc}", state="unresponsive")
            return
        log.info("modem %s answered again after: %s", self.name, exc)

    def send_one(self) -> bool:
        if not self._may_send():
            return False
        duty_ok, duty_to = self.budget.allows(duty=True)
        if not duty_ok:
            return False
        allowed, only_to = self.budget.allows()
        msg = self._claimed or self.outbox.claim(
            self.name, only_to=only_to if allowed else (), duty_to=duty_to
        )
        self._claimed = None
        if msg is None:
            return False
        try:
            return self._send(msg)
        except (PortLost, ModemNotReady, ModemTimeout):
            raise
        except Exception as exc:  # a bug must park the row, not loop on it
            log.exception("message %d crashed the sender", msg.id)
            self.outbox.park(msg.id, exc)
            return True

    def _send(self, msg: Claimed) -> bool:
        if not self._passes_gate(msg):
            return True
        if self.settings.max_per_minute:
            self._next_send = self.clock() + 60.0 / self.settings.max_per_minute
        try:
            sent = self.modem.send(
                msg.to, msg.text, status_report=self.config.outbox.status_reports
            )
        except (PortLost, ModemNotReady, ModemTimeout) as exc:
            self.outbox.hand_back(msg.id, f"{self.name}: {exc}")
            raise
        except ModemError as exc:
            self._send_failed(msg, exc)
            return True
        self._send_failures = self._rests = 0
        self._admin_told = ""
        self.budget.record(msg.to)
        self._publish_budget()
        # Claim the next one in the same commit, unless something else should run first.
        more = self.events.empty() and not self.settings.max_per_minute and self._may_send()
        duty_ok, duty_to = self.budget.allows(duty=True)
        allowed, only_to = self.budget.allows()
        try:
            self._claimed = self.outbox.mark_sent(
                msg.id,
                sent.references,
                modem=self.name,
                claim_next=more and duty_ok,
                only_to=only_to if allowed else (),
                duty_to=duty_to,
                track=self.config.outbox.status_reports,
            )
        except Exception:
            # It went: never park it as failed. Left `sending`, the lease brings it back,
            # which at worst sends this one message twice.
            log.exception("message %d was sent but its outcome could not be written", msg.id)
            self.faults += 1
        return True

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
        if self._rest_until:
            if now < self._rest_until:
                self._cut_rest_if_alone(now)
                return False
            self._rest_until = 0.0
            self.state = "ready"
            self._record("ready", "back from rest")
        return self.state == "ready" and now >= self._next_send

    def _send_failed(self, msg: Claimed, exc: ModemError) -> None:
        if exc.permanent:
            self.outbox.mark_failed(msg.id, str(exc))
            return
        self.outbox.retry_later(msg, str(exc))
        self._send_failures += 1
        if self.settings.rest_after_failures and (
            self._send_failures >= self.settings.rest_after_failures
        ):
            self.rest(f"{self._send_failures} failed sends in a row, last: {exc}")

    def rest(self, reason: str) -> None:
        """Stop sending for a while; the other modems carry on and the admin is told. The
        last modem that can send only pauses briefly (see `_short_rest`): a rest would
        silence the gateway, and the admin's notice with it."""
        alone = not self._others_can_send()
        seconds = self._short_rest() if alone else self.settings.rest_seconds
        self._rests += 1
        self._rest_until = self.clock() + seconds
        self._next_rest_check = self.clock() + UNHEALTHY_RECHECK
        self._send_failures = 0
        self.release()
        self.state = "resting"
        until = utcnow() + timedelta(seconds=seconds)
        self._record("resting", reason, resting_until=until, last_error=reason)
        log.warning("modem %s resting for %.1f s: %s", self.name, seconds, reason)
        self._tell_admin(seconds, reason, alone)

    def _short_rest(self) -> float:
        """The outbox's retry wait, doubling with each rest since the last good send, at
        most LAST_MODEM_REST (and never more than the configured rest)."""
        wait = self.config.outbox.retry_base * 2.0 ** min(self._rests, 30)
        return min(wait, LAST_MODEM_REST, self.settings.rest_seconds)

    def _others_can_send(self) -> bool:
        heard = HEARD_WITHIN * max(self.config.gateway.health_interval, BUDGET_NOTE_INTERVAL)
        try:
            return modem_status.others_can_send(self.engine, self.name, heard_within=heard)
        except Exception:  # the database is in trouble: do not silence the gateway as well
            log.exception("modem %s: could not tell whether other modems can send", self.name)
            return False

    def _cut_rest_if_alone(self, now: float) -> None:
        """While resting long, look now and then whether the others still can send; when
        none can, this modem is the last one and its rest is cut to a short pause."""
        if now < self._next_rest_check or self._rest_until - now <= LAST_MODEM_REST:
            return
        self._next_rest_check = now + UNHEALTHY_RECHECK
        if self._others_can_send():
            return
        seconds = self._short_rest()
        self._rest_until = now + seconds
        self._update(resting_until=utcnow() + timedelta(seconds=seconds))
        log.warning("modem %s: no other modem can send; back in %.1f s", self.name, seconds)

    def _tell_admin(self, seconds: float, reason: str, alone: bool) -> None:
        """One notice a bout of failures (again if a short pause became a long rest),
        queued as duty for whichever modem can send first: never pinned to this one."""
        told = "short" if alone else "long"
        if not self.config.gateway.admin_number or self._admin_told in (told, "long"):
            return
        self._admin_told = told
        how = (
            f"failing, and no other modem can send: it tries again within {LAST_MODEM_REST:.0f} s"
            if alone
            else f"rested for {seconds / 60:.0f} min"
        )
        self.outbox.enqueue(
            self.config.gateway.admin_number,
            f"smsgw: modem {self.name} {how}: {reason}"[:300],
            "duty",
        )

    def release(self) -> None:
        """Hand back a message claimed ahead but never sent (on stop, rest or a lost port)."""
        if self._claimed is not None:
            self.outbox.hand_back(self._claimed.id, f"{self.name}: not sent, modem stopping")
            self._claimed = None

    def check_health(self) -> bool:
        """Sample signal and registration on a schedule, and say what changed."""
        now = self.clock()
        if now < self._next_health:
            return False
        net = self.modem.network()
        state, detail = health.state_of(net)
        if self._rest_until and now < self._rest_until:
            state = "resting"
        if state != self.state:
            log.warning("modem %s: %s -> %s %s", self.name, self.state, state, detail)
        self.state = state
        ready = state in ("ready", "resting")
        self._next_health = now + (
            self.config.gateway.health_interval if ready else UNHEALTHY_RECHECK
        )
        self._record(state, detail, **self._network_info(net))
        return False

    def _network_info(self, net: NetworkState) -> dict[str, object]:
        left = self.budget.remaining()
        return {
            "operator": net.operator,
            "rssi": net.rssi,
            "registration": net.registration,
            "sim": net.sim,
            "day_left": left.messages,
            "recipients_left": left.recipients,
        }

    def read_inbound(self) -> bool:
        """Take what the modem announced. A text may queue a duty forward, which must not
        wait behind the message claimed ahead with the last outcome (the modem announces a
        text that came during a send right after that send's answer, so the claim can win
        the race): that message goes back to the queue and the next claim decides."""
        worked = False
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                if worked and self._claimed is not None:
                    self.outbox.unclaim(self._claimed.id)
                    self._claimed = None
                return worked
            worked = True
            if event.kind == "port-lost":
                raise PortLost(event.line or "the port went away")
            if event.kind == "message" and event.index is not None:
                stored = self.modem.read_stored(event.index)
                if stored is not None:
                    self.take(stored)
            elif event.kind == "status-report" and event.index is not None:
                stored = self.modem.read_stored(event.index)  # +CDSI: it waits in the store
                if stored is not None:
                    self.take(stored)

    def sweep(self) -> bool:
        """The safety net under +CMTI: read all that is stored, close overdue partials, and
        route again what was stored but never routed (a handler raised, or a crash)."""
        if self.clock() < self._next_sweep:
            return False
        self._next_sweep = self.clock() + self.config.inbound.sweep_interval
        for stored in self.modem.list_stored():
            self.take(stored)
        for msg in self.inbox.flush_partials():
            self._handle(msg)
        # Only this thread routes this modem's texts, so whatever is unrouted is not in hand.
        for msg in self.inbox.unrouted(self.name):
            log.warning("inbound message %d routed again: it never finished", msg.id)
            self._handle(msg)
        return False

    def take(self, stored: StoredPdu) -> None:
        """Commit the message, then delete it from the SIM: a crash between the two only
        means it is read again, and the inbox stores a second read once. A PDU that cannot
        be stored is kept raw instead; only when not even that can be written (the
        database is gone) does it stay on the SIM, to be read again."""
        try:
            decoded = decode_incoming(stored.pdu)
        except PduError as exc:
            self.inbox.store_undecodable(self.name, stored.pdu, str(exc))
        else:
            if isinstance(decoded, Deliver):
                self._store(stored.pdu, decoded)
            elif isinstance(decoded, StatusReport):
                delivery.apply(self.engine, self.name, decoded, self.config.outbox.report_window)
        self.modem.delete_stored(stored.index)

    def _store(self, pdu: str, decoded: Deliver) -> None:
        c = decoded.concat
        part = IncomingPart(
            decoded.sender,
            decoded.timestamp,
            decoded.text,
            c.ref if c else -1,
            c.part if c else 1,
            c.parts if c else 1,
        )
        try:
            done = self.inbox.store(self.name, part, pdu)
        except Exception as exc:
            log.exception("inbound SMS on %s could not be stored; keeping its PDU", self.name)
            self.inbox.store_undecodable(self.name, pdu, f"not stored: {exc!r}")
            return
        for msg in done:
            self._handle(msg)

    def _handle(self, msg: Received) -> None:
        """Route a stored text; it counts as routed only when every handler finished.
        Handlers must tolerate a second run (their effects carry keys)."""
        try:
            for handler in self.handlers:
                handler(msg)
        except Exception as exc:
            tries = self.inbox.route_failed(msg.id, f"{type(exc).__name__}: {exc}")
            if tries == 1:
                log.exception("inbound message %d: routing failed; kept unrouted", msg.id)
            else:
                log.error("inbound message %d: routing failed again (%d): %s", msg.id, tries, exc)
            return
        self.inbox.mark_routed(msg.id)

    def _record(self, state: str, detail: str = "", **info: object) -> None:
        self._update(state=state, detail=detail, **info)

    def _update(self, **values: object) -> None:
        try:
            modem_status.record(self.engine, self.name, self.config.node, **values)
        except Exception:
            log.exception("could not record the state of modem %s", self.name)
