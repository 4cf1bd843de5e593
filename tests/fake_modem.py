"""A `hardware.modem.Modem` in memory, for driving a worker's steps without threads.

It keeps a SIM store of PDUs and a list of what was sent; a test announces a stored text
with `announce`, which raises the event as the driver's reader thread would. Where the
real parts matter (timing on a pty, AT replies) the tests use the emulator instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hardware.errors import ModemError
from hardware.modem import (
    BeforeBody,
    Identity,
    InFlight,
    Modem,
    ModemEvent,
    NetworkState,
    Sent,
    StoredPdu,
)
from hardware.pdu import encode_deliver, encode_status_report


class FakeModem(Modem):
    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.port = f"/dev/{name}"
        self.sent: list[tuple[str, str]] = []
        self.store: dict[int, str] = {}
        self.opened = False
        self.failing: ModemError | None = None  # raised by every send while set
        self.during_flight: list[Callable[[], object]] = []  # each run once, in the next send
        self._ref = 0

    def open(self) -> None:
        self.opened = True

    def close(self) -> None:
        self.opened = False

    def send(
        self,
        to: str,
        text: str,
        *,
        status_report: bool = False,
        before_body: BeforeBody | None = None,
        in_flight: InFlight | None = None,
    ) -> Sent:
        if self.failing is not None:
            raise self.failing
        if before_body is not None:
            before_body()
        self.sent.append((to, text))
        if in_flight is not None:
            in_flight()
        while self.during_flight:  # what happens while the network works on it
            self.during_flight.pop(0)()
        self._ref = (self._ref + 1) % 256
        return Sent((self._ref,))

    def list_stored(self) -> list[StoredPdu]:
        return [StoredPdu(i, pdu) for i, pdu in sorted(self.store.items())]

    def read_stored(self, index: int) -> StoredPdu | None:
        pdu = self.store.get(index)
        return None if pdu is None else StoredPdu(index, pdu)

    def delete_stored(self, index: int) -> None:
        self.store.pop(index, None)

    def identity(self) -> Identity:
        return Identity("Fake", "Modem", "1.0", "350000000000001")

    def network(self) -> NetworkState:
        return NetworkState("home", "Fake Net", 20)

    def announce(self, sender: str, text: str) -> int:
        """Store a single-part text and raise the `+CMTI` event for it; returns its index."""
        [pdu] = encode_deliver(sender, text, datetime.now(UTC))
        index = max(self.store, default=0) + 1
        self.store[index] = pdu
        self._emit(ModemEvent("message", index=index, storage="SM"))
        return index

    def report(self, recipient: str, ref: int, status: int = 0x00) -> int:
        """Store a status report and raise `+CDSI` for it, as a modem that refuses to hand
        reports over directly does; returns its index."""
        now = datetime.now(UTC)
        index = max(self.store, default=0) + 1
        self.store[index] = encode_status_report(ref, recipient, status, now, now)
        self._emit(ModemEvent("status-report", index=index, storage="SM"))
        return index

    def keep(self, sender: str, text: str) -> int:
        """Store a single-part text with no event: its `+CMTI` was lost, as a modem's
        often is while the port is closed; only a sweep finds it. Returns its index."""
        [pdu] = encode_deliver(sender, text, datetime.now(UTC))
        index = max(self.store, default=0) + 1
        self.store[index] = pdu
        return index

    def hand_report(self, recipient: str, ref: int, status: int = 0x00) -> None:
        """Raise `+CDS` with a status report's PDU, as most modems hand reports over."""
        now = datetime.now(UTC)
        pdu = encode_status_report(ref, recipient, status, now, now)
        self._emit(ModemEvent("status-report", pdu=pdu))
