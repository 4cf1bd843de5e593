"""The emulated network behind AT+CMGS: latency, refusals, message references.

What goes wrong is read from the live `Faults` at each send, so a test can make a number
dead or the network flaky while the gateway is in the middle of a run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hardware.emulator.faults import CMS_NETWORK_OUT_OF_ORDER, Faults
from hardware.emulator.outbound import SendLog, SubmittedPart, accept_submit
from hardware.emulator.replies import CmsRefusal

__all__ = ["CMS_NETWORK_OUT_OF_ORDER", "Network", "RefusedPart"]


@dataclass(frozen=True)
class RefusedPart:
    """A well-formed part the network turned down with `+CMS ERROR: <code>`."""

    at: datetime
    to: str
    text: str
    code: int


class Network:
    """Takes submitted PDUs the way a service centre would, slowly and now and then not at all.

    `wait(seconds)` is how the latency is spent: the emulator passes its stop event's
    wait so that stop() never sits behind a send in progress. `on_sent(part)` runs once
    the latency is spent and the part accepted: the moment the client gets `+CMGS`.
    """

    def __init__(self, *, faults: Faults, log: SendLog, wait: Callable[[float], object]) -> None:
        self.faults = faults
        self.log = log
        self.sent: list[SubmittedPart] = []
        self.refused: list[RefusedPart] = []
        self.on_sent: Callable[[SubmittedPart], None] | None = None
        self._wait = wait
        self._attempts = 0  # sends counted by cms_every: those not refused by number
        self._next_mr = 0
        self._lock = threading.Lock()

    # The attributes older callers set directly; they now go through the faults.
    @property
    def send_latency(self) -> float:
        return self.faults.now.send_latency

    @send_latency.setter
    def send_latency(self, seconds: float) -> None:
        self.faults.update(send_latency=seconds)

    @property
    def fail_every(self) -> int:
        return self.faults.now.cms_every

    @fail_every.setter
    def fail_every(self, every: int) -> None:
        self.faults.update(fail_every=every)

    def count_from_now(self) -> None:
        """After cms_every changed: the Nth send from now is the first to fail."""
        with self._lock:
            self._attempts = 0

    def submit(self, pdu: str, declared_length: int) -> SubmittedPart:
        """Accept one part (returns it, with its TP-MR) or raise CmsRefusal.

        The latency runs from the moment the PDU arrived, so decoding and logging happen
        inside it, as a modem's work overlaps the radio's; and the log line exists before
        the client sees `+CMGS`, so a test never races the log.
        """
        faults = self.faults.now
        deadline = time.monotonic() + faults.send_latency
        part = accept_submit(pdu, declared_length, self._next_mr)
        code = self._refusal(part)
        if code is None:
            self._next_mr = (self._next_mr + 1) % 256
            self.sent.append(part)
            self.log.write(part)
        else:
            self.refused.append(RefusedPart(part.at, part.to, part.text, code))
        remaining = deadline - time.monotonic()
        if remaining > 0:
            self._wait(remaining)
        if code is not None:
            raise CmsRefusal(code)
        if self.on_sent is not None:
            self.on_sent(part)
        return part

    def _refusal(self, part: SubmittedPart) -> int | None:
        """The +CMS ERROR code for this part, or None: a dead number first, then every Nth."""
        faults = self.faults.now
        code = faults.cms_error_to.get(part.to)
        if code is not None:
            return code
        with self._lock:
            self._attempts += 1
            every = faults.cms_every
            if every > 0 and self._attempts % every == 0:
                return faults.cms_error
        return None
