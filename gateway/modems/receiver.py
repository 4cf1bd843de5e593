"""The receiving side of one modem: what it announces, what waits in its store, and each
text committed before it leaves the SIM and routed after.

It runs in the modem's worker thread. Only `on_event` is called from the driver's reader
thread, and it only queues. No message stops it: a text that makes storing or a handler
raise is kept (its raw PDU, or the stored text with its routing marked as not done).
"""

from __future__ import annotations

import logging
import queue
from collections import deque
from collections.abc import Callable, Sequence

from gateway.core.config import Config
from gateway.inbox.store import Inbox, IncomingPart, MessageHandler, Received
from gateway.outbox.queue import Outbox
from hardware.errors import PortLost
from hardware.modem import Modem, ModemEvent, StoredPdu
from hardware.pdu import Deliver, PduError, StatusReport, decode_incoming, decode_status_report

log = logging.getLogger(__name__)

REPORT_BATCH = 50  # delivery reports applied in one transaction ...
REPORT_WAIT = 1.0  # ... or once the oldest has waited this many seconds


class Receiver:
    def __init__(
        self,
        modem: Modem,
        name: str,
        config: Config,
        outbox: Outbox,
        inbox: Inbox,
        handlers: Sequence[MessageHandler],
        clock: Callable[[], float],
        *,
        settle: Callable[[], None] = lambda: None,
    ) -> None:
        """`settle` puts on disk the outcomes a report read off the SIM may be about."""
        self.modem = modem
        self.settle = settle
        self.name = name
        self.config = config
        self.outbox = outbox
        self.inbox = inbox
        self.handlers = list(handlers)
        self.clock = clock
        self.events: queue.SimpleQueue[ModemEvent] = queue.SimpleQueue()
        self.reports: deque[tuple[float, str]] = deque()  # (when, PDU) of +CDS reports
        self.next_sweep = 0.0

    def on_event(self, event: ModemEvent) -> None:
        """From the driver's reader thread: queue, never touch the modem or the database."""
        if event.kind == "status-report" and event.pdu:
            self.reports.append((self.clock(), event.pdu))  # applied in batches, off the send path
        else:
            self.events.put(event)

    def pending(self) -> bool:
        """Whether the modem announced something not read yet."""
        return not self.events.empty()

    def read_events(self) -> tuple[bool, bool]:
        """Read what the modem announced: whether there was anything, and whether a text
        was taken (a text may queue a duty forward)."""
        worked = texts = False
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return worked, texts
            worked = True
            if event.kind == "port-lost":
                raise PortLost(event.line or "the port went away")
            if event.kind in ("message", "status-report") and event.index is not None:
                stored = self.modem.read_stored(event.index)  # +CDSI: a report waits there too
                if stored is not None and self.take(stored):
                    texts = True

    def apply_reports(
        self, idle: bool = False, apply: Callable[[list[StatusReport]], None] | None = None
    ) -> bool:
        """Delivery reports in one transaction once enough have come or the oldest has
        waited long enough; with `idle`, whatever has come. `apply` takes the batch instead
        (the modem's writer thread applies it while the radio works, after the outcomes it
        may be about)."""
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
        if apply is not None:
            apply(batch)
        else:
            self.outbox.apply_reports(self.name, batch)
        return True

    def sweep(self) -> bool:
        """The safety net under +CMTI: read all that is stored, close overdue partials, and
        route again what was stored but never routed (a handler raised, or a crash)."""
        if self.clock() < self.next_sweep:
            return False
        self.next_sweep = self.clock() + self.config.inbound.sweep_interval
        for stored in self.modem.list_stored():
            self.take(stored)
        for msg in self.inbox.flush_partials():
            self._handle(msg)
        # Only this thread routes this modem's texts, so whatever is unrouted is not in hand.
        for msg in self.inbox.unrouted(self.name):
            log.warning("inbound message %d routed again: it never finished", msg.id)
            self._handle(msg)
        return False

    def take(self, stored: StoredPdu) -> bool:
        """Commit the message, then delete it from the SIM: a crash between the two only
        means it is read again, and the inbox stores a second read once. A PDU that cannot
        be stored is kept raw instead; only when not even that can be written (the
        database is gone) does it stay on the SIM, to be read again. True for a text."""
        text = False
        try:
            decoded = decode_incoming(stored.pdu)
        except PduError as exc:
            self.inbox.store_undecodable(self.name, stored.pdu, str(exc))
        else:
            if isinstance(decoded, Deliver):
                self._store(stored.pdu, decoded)
                text = True
            elif isinstance(decoded, StatusReport):
                self.settle()
                self.outbox.apply_reports(self.name, [decoded])
        self.modem.delete_stored(stored.index)
        return text

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
