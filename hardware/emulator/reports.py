"""Status reports for sent parts that asked for one (TP-SRR): when, what, and how told.

A real network reports seconds to hours after the send, so reports wait in one
scheduler thread (a heap, not a thread per report: a benchmark sends thousands) and
never hold up the session. What a report says is decided when it is issued.

Which reports fail is deterministic, so a test can count on it: the k-th report since
`report_failures` was last set fails when floor(k * share) goes up. 1.0 fails all, 0.5
the 2nd, 4th, 6th..., 0.25 every 4th, 0.0 none.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from hardware.emulator.context import Context
from hardware.emulator.outbound import SubmittedPart, tpdu_length
from hardware.emulator.store import StoreFull
from hardware.pdu import encode_status_report

log = logging.getLogger(__name__)

TP_ST_DELIVERED = 0x00
TP_ST_INCOMPATIBLE_DESTINATION = 0x41  # TS 23.040 9.2.3.15: permanent, the SC gives up
STORAGE = "SM"


@dataclass(frozen=True)
class IssuedReport:
    """A status report the network sent for a part, as `Emulator.reports` lists them."""

    message_ref: int
    to: str
    status: int  # TP-ST
    pdu: str


class FailureShare:
    """Whether the next report fails, spreading `share` evenly and without chance."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def restart(self) -> None:
        with self._lock:
            self._count = 0

    def next_fails(self, share: float) -> bool:
        exact = Fraction(share).limit_denominator(1_000_000)
        with self._lock:
            self._count += 1
            k = self._count
        return int(k * exact) > int((k - 1) * exact)


class Scheduler:
    """Runs callables at monotonic times in one thread, started on first use."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def call_at(self, due: float, action: Callable[[], None]) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="emulator-reports")
                self._thread.daemon = True
                self._thread.start()
            heapq.heappush(self._heap, (due, next(self._order), action))
            self._cond.notify()

    def close(self) -> None:
        """After the stop event is set: wake the thread and wait for it; pending calls go."""
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _next(self) -> Callable[[], None] | None:
        with self._cond:
            while not self._stop.is_set():
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(self._heap[0][0] - now if self._heap else None)
        return None

    def _run(self) -> None:
        while (action := self._next()) is not None:
            try:
                action()
            except Exception:  # one bad report must not end the others
                log.exception("status report failed")


class StatusReports:
    """Issues the report for each part the network accepted, after `report_delay`."""

    def __init__(
        self,
        ctx: Context,
        queue_urc: Callable[[str | Callable[[], str | None]], None],
        stop: threading.Event,
    ) -> None:
        self._ctx = ctx
        self._queue_urc = queue_urc
        self.failures = FailureShare()
        self.scheduler = Scheduler(stop)
        self.issued: list[IssuedReport] = []

    def on_sent(self, part: SubmittedPart) -> None:
        if not part.status_report:
            return
        faults = self._ctx.faults.now
        failed = self.failures.next_fails(faults.report_failures)
        status = TP_ST_INCOMPATIBLE_DESTINATION if failed else TP_ST_DELIVERED
        if faults.report_delay <= 0:
            self._issue(part, status)
        else:
            due = time.monotonic() + faults.report_delay
            self.scheduler.call_at(due, lambda: self._issue(part, status))

    def _issue(self, part: SubmittedPart, status: int) -> None:
        now = datetime.now().astimezone()
        pdu = encode_status_report(part.message_ref, part.to, status, part.at, now)
        self.issued.append(IssuedReport(part.message_ref, part.to, status, pdu))
        settings = self._ctx.settings
        if settings.cds_stored:
            self._store(pdu)
            return

        def line() -> str | None:
            if not self._ctx.settings.cds_enabled:
                return None  # ds=0: the network's report goes nowhere, as 27.005 says
            return f"+CDS: {tpdu_length(pdu)}\r\n{pdu}"

        self._queue_urc(line)

    def _store(self, pdu: str) -> None:
        """AT+CNMI ds=2: into the store, announced with +CDSI for AT+CMGR to read."""
        try:
            [index] = self._ctx.store.add_all([pdu])
        except StoreFull:
            log.warning("store full: a status report is lost")
            return
        self._queue_urc(f'+CDSI: "{STORAGE}",{index}')
