"""One thread owns one modem: it sends, reads what arrives and reconnects.

The loop is made of small steps that each say whether they found work, so tests can
call them one at a time. The modem's reader thread only queues events and wakes this
thread; it never touches the modem or the database itself.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from gateway import modem_status
from gateway.config import Config, ModemConfig
from gateway.inbound import Inbox, IncomingPart, MessageHandler, Received
from gateway.outbox import Claimed, Outbox
from hardware.errors import ModemError, ModemNotReady, PortLost
from hardware.modem import Modem, ModemEvent, StoredPdu
from hardware.pdu import Deliver, PduError, decode_incoming

log = logging.getLogger(__name__)

RECONNECT_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds between attempts to reopen


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
        self.clock = clock
        self.connected = False
        self.wake = threading.Event()
        self.events: queue.SimpleQueue[ModemEvent] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._failures = 0
        self._next_sweep = 0.0
        self._next_send = 0.0
        self._claimed: Claimed | None = None  # claimed with the last outcome, not yet sent
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
        self.events.put(event)
        self.wake.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            if not self.connected and not self.connect():
                self._pause(RECONNECT_BACKOFF[min(self._failures, len(RECONNECT_BACKOFF) - 1)])
                continue
            try:
                worked = self.step()
            except PortLost as exc:
                self._lost(str(exc))
                continue
            except ModemNotReady as exc:
                self._lost(str(exc), state=exc.state)
                continue
            if not worked:
                self._pause(self._idle_wait())
        self.release()
        self.modem.close()
        self._record("stopped")

    def _pause(self, seconds: float) -> None:
        self.wake.wait(max(0.0, seconds))
        self.wake.clear()

    def _idle_wait(self) -> float:
        waits = [self.config.outbox.poll_interval, self._next_sweep - self.clock()]
        if self._next_send > self.clock():
            waits.append(self._next_send - self.clock())
        return max(0.01, min(waits))

    # -- steps -------------------------------------------------------------------------
    def step(self) -> bool:
        """Inbound first (a sighting must not wait behind a broadcast), then one send."""
        return self.read_inbound() or self.send_one() or self.sweep()

    def connect(self) -> bool:
        self._record("starting", "opening the port")
        try:
            self.modem.open()
            ident = self.modem.identity()
            net = self.modem.network()
        except ModemNotReady as exc:
            return self._open_failed(exc.state, str(exc))
        except PortLost as exc:
            return self._open_failed("disconnected", str(exc))
        except ModemError as exc:
            return self._open_failed("unresponsive", str(exc))
        self.connected = True
        self._failures = 0
        self._next_sweep = 0.0  # read whatever piled up while we were away
        self._record(
            "ready",
            "",
            manufacturer=ident.manufacturer,
            model=ident.model,
            imei=ident.imei,
            operator=net.operator,
            rssi=net.rssi,
        )
        log.info(
            "modem %s ready: %s %s, %s",
            self.name,
            ident.manufacturer,
            ident.model,
            net.operator or "operator unknown",
        )
        return True

    def _open_failed(self, state: str, detail: str) -> bool:
        self._failures += 1
        self.modem.close()
        self._record(state, detail)
        log.warning("modem %s not usable (%s): %s", self.name, state, detail)
        return False

    def _lost(self, detail: str, state: str = "disconnected") -> None:
        log.warning("modem %s lost: %s", self.name, detail)
        self.release()
        self.connected = False
        self.modem.close()
        self._record(state, detail)

    def send_one(self) -> bool:
        if self.clock() < self._next_send:
            return False
        msg = self._claimed or self.outbox.claim(self.name)
        self._claimed = None
        if msg is None:
            return False
        if self.settings.max_per_minute:
            self._next_send = self.clock() + 60.0 / self.settings.max_per_minute
        try:
            sent = self.modem.send(
                msg.to, msg.text, status_report=self.config.outbox.status_reports
            )
        except (PortLost, ModemNotReady) as exc:
            self.outbox.hand_back(msg.id, f"{self.name}: {exc}")
            raise
        except ModemError as exc:
            if exc.permanent:
                self.outbox.mark_failed(msg.id, str(exc))
            else:
                self.outbox.retry_later(msg, str(exc))
            return True
        except Exception as exc:  # a bug must park the row, not loop on it
            log.exception("message %d crashed the sender; parked as failed", msg.id)
            self.outbox.mark_failed(msg.id, f"internal error: {exc!r}")
            return True
        # Claim the next one in the same commit, unless something else should run first.
        more = self.events.empty() and not self.settings.max_per_minute
        self._claimed = self.outbox.mark_sent(
            msg.id,
            sent.references,
            modem=self.name,
            claim_next=more,
            track=self.config.outbox.status_reports,
        )
        return True

    def release(self) -> None:
        """Hand back a message claimed ahead but never sent (on stop or a lost port)."""
        if self._claimed is not None:
            self.outbox.hand_back(self._claimed.id, f"{self.name}: not sent, modem stopping")
            self._claimed = None

    def read_inbound(self) -> bool:
        worked = False
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return worked
            if event.kind == "port-lost":
                raise PortLost(event.line or "the port went away")
            if event.kind == "message" and event.index is not None:
                stored = self.modem.read_stored(event.index)
                if stored is not None:
                    self.take(stored)
                worked = True
            elif event.kind == "status-report":
                log.debug("status report on %s: %s", self.name, event.pdu)

    def sweep(self) -> bool:
        """The safety net under +CMTI: read all that is stored, and close overdue partials."""
        if self.clock() < self._next_sweep:
            return False
        self._next_sweep = self.clock() + self.config.inbound.sweep_interval
        for stored in self.modem.list_stored():
            self.take(stored)
        for msg in self.inbox.flush_partials():
            self._handle(msg)
        return False

    def take(self, stored: StoredPdu) -> None:
        """Commit the message, then delete it from the SIM: a crash between the two only
        means it is read again, and the inbox stores a second read once."""
        try:
            decoded = decode_incoming(stored.pdu)
        except PduError as exc:
            self.inbox.store_undecodable(self.name, stored.pdu, str(exc))
        else:
            if isinstance(decoded, Deliver):
                c = decoded.concat
                part = IncomingPart(
                    decoded.sender,
                    decoded.timestamp,
                    decoded.text,
                    c.ref if c else -1,
                    c.part if c else 1,
                    c.parts if c else 1,
                )
                for msg in self.inbox.store(self.name, part):
                    self._handle(msg)
            else:
                log.debug("status report in store on %s (ref %d)", self.name, decoded.message_ref)
        self.modem.delete_stored(stored.index)

    def _handle(self, msg: Received) -> None:
        for handler in self.handlers:
            try:
                handler(msg)
            except Exception:
                log.exception("inbound handler %r failed on message", handler)

    def _record(self, state: str, detail: str = "", **info: object) -> None:
        try:
            modem_status.record(self.engine, self.name, self.config.node, state, detail, **info)
        except Exception:
            log.exception("could not record the state of modem %s", self.name)
