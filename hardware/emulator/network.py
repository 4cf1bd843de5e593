"""The emulated network behind AT+CMGS: latency, injected failures, message references."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hardware.emulator.outbound import SendLog, SubmittedPart, accept_submit
from hardware.emulator.replies import CmsRefusal

# "Network out of order" (TS 24.011 cause 38): transient, the gateway must try again.
CMS_NETWORK_OUT_OF_ORDER = 38


class Network:
    """Takes submitted PDUs the way a service centre would, slowly and now and then not at all.

    `wait(seconds)` is how the latency is spent: the emulator passes its stop event's
    wait so that stop() never sits behind a send in progress.
    """

    def __init__(
        self,
        *,
        send_latency: float,
        fail_every: int,
        log: SendLog,
        wait: Callable[[float], object],
    ) -> None:
        self.send_latency = send_latency
        self.fail_every = fail_every
        self.log = log
        self.sent: list[SubmittedPart] = []
        self.on_sent: Callable[[SubmittedPart], None] | None = None
        self._wait = wait
        self._attempts = 0
        self._next_mr = 0
        self._lock = threading.Lock()

    def submit(self, pdu: str, declared_length: int) -> SubmittedPart:
        """Accept one part (returns it, with its TP-MR) or raise CmsRefusal.

        The latency runs from the moment the PDU arrived, so decoding and logging happen
        inside it, as a modem's work overlaps the radio's; and the log line exists before
        the client sees `+CMGS`, so a test never races the log.
        """
        deadline = time.monotonic() + self.send_latency
        part = accept_submit(pdu, declared_length, self._next_mr)
        with self._lock:
            self._attempts += 1
            failing = self.fail_every > 0 and self._attempts % self.fail_every == 0
        if not failing:
            self._next_mr = (self._next_mr + 1) % 256
            self.sent.append(part)
            self.log.write(part)
            if self.on_sent is not None:
                self.on_sent(part)
        remaining = deadline - time.monotonic()
        if remaining > 0:
            self._wait(remaining)
        if failing:
            raise CmsRefusal(CMS_NETWORK_OUT_OF_ORDER)
        return part
