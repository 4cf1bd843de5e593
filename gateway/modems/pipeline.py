"""Back to back sends: the database's work for one message done while the modem works.

A modem spends most of a send waiting on the radio (about 3 s on a real network); the
daemon's own work per message (the next claim, the last outcome's fsynced commit) would
make the radio wait if it were done between two sends. So each modem worker has a writer
thread of its own:
- once message N's body is written and the network works on it, the writer claims N+1
  and passes it through the gate;
- the moment N's answer comes, the writer commits N's outcome while the worker writes
  N+1's `AT+CMGS` and the modem answers with its prompt; N+1's body goes only once that
  commit is on disk (the driver's `before_body`). A crash therefore still leaves at most
  the one message in flight unrecorded: N+1 is claimed but not sent, or sent with N's
  outcome on disk.
- the same commit asks whether a claim now would take a more pressing message than N+1
  (a duty forward queued during N's flight); if so, N+1 gives way at its prompt and goes
  back to the queue untouched, so the order is the claim's, as if N+1 were claimed after
  N's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor

from gateway.core.errors import GatewayError
from gateway.outbox.claims import Claimed, DutyTo
from gateway.outbox.queue import Outbox
from hardware.pdu import StatusReport

log = logging.getLogger(__name__)

GATE_TRIES = 20  # messages the gate may turn away in one claim ahead before it stops looking


class GiveWay(GatewayError):
    """The message claimed ahead is outranked by one queued since: abandon it at its prompt."""


class OutcomeNotWritten(GatewayError):
    """The last send's outcome could not be committed: no further body may go."""


_FAILED = -1  # what the writer returns for an outcome it could not commit


class Pipeline:
    def __init__(
        self,
        name: str,
        outbox: Outbox,
        passes_gate: Callable[[Claimed], bool],
        *,
        track: bool,
    ) -> None:
        self.name = name
        self.outbox = outbox
        self.passes_gate = passes_gate
        self.track = track
        self.faults = 0  # outcomes that could not be written (the lease brings them back)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"modem-{name}-writer")
        self._recorder = outbox.recorder(name)  # used by the writer thread alone
        self._ahead: Future[Claimed | None] | None = None
        self._outcome: Future[int | None] | None = None  # the id that must give way, if any
        self._outranked: int | None = None
        self._reports: list[StatusReport] = []  # for the writer, at the next flight
        self._unwritten: tuple[Claimed, tuple[int, ...]] | None = None  # to write again

    def claim_ahead(self, only_to: Collection[str] | None, duty_to: DutyTo) -> None:
        """Claim the next message in the writer, while a send is in flight; then apply the
        delivery reports that have come."""
        self._ahead = self._writer.submit(self._claim, only_to, duty_to)
        self.flush_reports()

    def reports(self, batch: list[StatusReport]) -> None:
        """Delivery reports, applied by the writer during the next flight (or `flush`)."""
        self._reports.extend(batch)

    def flush_reports(self) -> None:
        """Hand the reports that have come to the writer (after the outcomes before them)."""
        if self._reports:
            batch, self._reports = self._reports, []
            self._writer.submit(self._apply_reports, batch)

    def drain(self) -> None:
        """Wait until the writer has done everything handed to it (for tests, and stop)."""
        self.settle()
        self.flush_reports()
        self._writer.submit(lambda: None).result()

    def peek(self) -> Claimed | None:
        """The message claimed ahead, once the writer has it, left in place."""
        return None if self._ahead is None else self._ahead.result()

    def next(self) -> Claimed | None:
        """The message claimed ahead, once the writer has it (it usually has), or None."""
        ahead, self._ahead = self._ahead, None
        return None if ahead is None else ahead.result()

    def sent(
        self,
        msg: Claimed,
        refs: tuple[int, ...],
        only_to: Collection[str] | None,
        duty_to: DutyTo,
    ) -> None:
        """A send went: the writer commits its outcome now. `only_to` and `duty_to` are the
        limits a claim now obeys, against which the message claimed ahead is checked."""
        self.settle()  # never two outstanding
        self._outcome = self._writer.submit(self._record, msg, refs, self._ahead, only_to, duty_to)

    def before_body(self, msg: Claimed, ahead: bool) -> Callable[[], None]:
        """What the driver calls before `msg`'s body goes: the last outcome on disk, and,
        for a message claimed ahead, GiveWay when a claim now would take another first."""

        def ready() -> None:
            self.settle()
            outranked, self._outranked = self._outranked, None
            if outranked == _FAILED:
                raise OutcomeNotWritten(f"message {msg.id} waits: the last outcome is not on disk")
            if ahead and outranked == msg.id:
                raise GiveWay(f"message {msg.id} gives way to a more pressing one")

        return ready

    def settle(self) -> None:
        """Wait until the last outcome is on disk; one that could not be written is tried
        again here, and until it is written no body goes (OutcomeNotWritten)."""
        outcome, self._outcome = self._outcome, None
        if outcome is None and self._unwritten is not None:
            msg, refs = self._unwritten
            outcome = self._writer.submit(self._record, msg, refs, None, None, None)
        if outcome is not None:
            self._outranked = outcome.result()

    def drop_ahead(self, hand_back: Callable[[int], None]) -> None:
        """The message claimed ahead is not to go next (a text came, the modem stops):
        `hand_back` puts it back in the queue."""
        try:
            msg = self.next()
        except Exception:  # the claim failed and took nothing (or handed it back)
            log.exception("%s: the claim ahead failed", self.name)
            self.faults += 1
            return
        if msg is not None:
            hand_back(msg.id)

    def close(self) -> None:
        self.flush_reports()
        self._writer.submit(self._recorder.close)
        self._writer.shutdown(wait=True)

    # -- the writer thread ---------------------------------------------------------------
    def _apply_reports(self, batch: list[StatusReport]) -> None:
        try:
            self.outbox.apply_reports(self.name, batch)
        except Exception:  # the messages stay `sent`; a report is word of delivery, no more
            log.exception("%s: %d delivery report(s) could not be applied", self.name, len(batch))
            self.faults += 1

    def _claim(self, only_to: Collection[str] | None, duty_to: DutyTo) -> Claimed | None:
        for _ in range(GATE_TRIES):
            msg = self.outbox.claim(self.name, only_to=only_to, duty_to=duty_to)
            if msg is None or passes(self.outbox, self.name, self.passes_gate, msg):
                return msg
        return None

    def _record(
        self,
        msg: Claimed,
        refs: tuple[int, ...],
        ahead: Future[Claimed | None] | None,
        only_to: Collection[str] | None,
        duty_to: DutyTo,
    ) -> int | None:
        # Submitted after the claim ahead, on this one thread: that claim is done.
        nxt = None
        if ahead is not None and ahead.done() and ahead.exception() is None:
            nxt = ahead.result()
        try:
            goes_first = self.outbox.record_sent(
                msg.id,
                refs,
                modem=self.name,
                track=self.track,
                ahead=nxt,
                only_to=only_to,
                duty_to=duty_to,
                recorder=self._recorder,
            )
        except Exception:
            # It went: never park it as failed. Left `sending`, it is written again before
            # the next body (or, should the gateway stop first, the lease brings it back,
            # which at worst sends this one message twice).
            log.exception("message %d was sent but its outcome could not be written", msg.id)
            self.faults += 1
            self._unwritten = (msg, refs)
            return _FAILED
        self._unwritten = None
        return None if goes_first or nxt is None else nxt.id


def passes(outbox: Outbox, modem: str, gate: Callable[[Claimed], bool], msg: Claimed) -> bool:
    """The gate's word on a message just claimed. A gate that raises (it reads subscribers
    from the database) hands the message back first, so none waits in `sending` for the
    lease."""
    try:
        return gate(msg)
    except Exception:
        outbox.hand_back(msg.id, f"{modem}: the send gate failed")
        raise
