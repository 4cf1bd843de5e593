"""The one small interface every modem driver offers the gateway.

A driver is used by exactly one thread (the gateway's worker for that modem). Events the
modem raises on its own (a new message, a status report, the port going away) are handed
to the `on_event` callback from the driver's reader thread; the callback must only queue
or flag, never call back into the driver.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Identity:
    manufacturer: str
    model: str
    revision: str
    imei: str
    imsi: str = ""


@dataclass(frozen=True)
class NetworkState:
    """Registration and signal as the modem reports them (`AT+CREG?`, `AT+COPS?`, `AT+CSQ`)."""

    registration: str  # "home", "roaming", "searching", "denied", "unregistered", "unknown"
    operator: str = ""
    rssi: int | None = None  # 0-31 from AT+CSQ; None when unknown (99)
    sim: str = "ready"  # "ready", "pin-required", "puk-required", "no-sim", "pin-refused"

    @property
    def registered(self) -> bool:
        return self.registration in ("home", "roaming")

    @property
    def dbm(self) -> int | None:
        """Signal strength in dBm (27.007: -113 dBm + 2 dB per step)."""
        return None if self.rssi is None else -113 + 2 * self.rssi

    @property
    def bars(self) -> int:
        """0-5 bars, the way a phone would draw them."""
        if self.rssi is None or self.rssi <= 0:
            return 0
        return min(5, 1 + self.rssi // 6)


@dataclass(frozen=True)
class Sent:
    """What the network gave back for one message: one TP-MR reference per part."""

    references: tuple[int, ...]


@dataclass(frozen=True)
class StoredPdu:
    """A message held in the modem's store, still as the raw PDU (decoding is the caller's)."""

    index: int
    pdu: str  # hex, with the SMSC octets in front, as AT+CMGL gives it
    status: int = 0  # 0 unread, 1 read (27.005 <stat>)


@dataclass(frozen=True)
class ModemEvent:
    """Something the modem said on its own.

    kind: "message" (a new SMS was stored at `index`), "status-report" (`pdu` holds it),
    "port-lost" (the device went away), or "other" (`line` holds the raw text).
    """

    kind: str
    index: int | None = None
    storage: str = ""
    pdu: str = ""
    line: str = ""
    at: datetime = field(default_factory=datetime.now)


EventHandler = Callable[[ModemEvent], None]
BeforeBody = Callable[[], None]
InFlight = Callable[[], None]


class Modem(ABC):
    """A GSM modem that can send and receive SMS."""

    name: str
    port: str  # the device it opens; the gateway may point it elsewhere between opens

    @abstractmethod
    def open(self) -> None:
        """Open the port and bring the modem to a state where it can send and receive.

        Raises PortLost when the device is not there, ModemNotReady (PinRefused, ...) when
        the SIM or network stands in the way.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the port. Safe to call twice."""

    @abstractmethod
    def send(
        self,
        to: str,
        text: str,
        *,
        status_report: bool = False,
        before_body: BeforeBody | None = None,
        in_flight: InFlight | None = None,
    ) -> Sent:
        """Send one message (split into parts as needed). Raises CmsError, ModemTimeout, ...

        Two hooks let a caller use the time the modem and the network take:
        `before_body` is called once, after the first part's command is written and before
        its body goes: while the modem answers with its prompt, the caller finishes what
        must be on disk before this message may leave (the last one's outcome). If it
        raises, the message is abandoned at the prompt and the exception goes on.
        `in_flight` is called once the message is on its way (the AT driver: after the
        first part's body; gammu: as it hands the message to its own thread), while the
        network works on it (the caller prepares the next message); what it raises is
        logged and dropped, since the message has gone.
        """

    @abstractmethod
    def list_stored(self) -> list[StoredPdu]:
        """Every message in the store, read or not."""

    @abstractmethod
    def read_stored(self, index: int) -> StoredPdu | None:
        """One stored message, or None when the slot is empty."""

    @abstractmethod
    def delete_stored(self, index: int) -> None:
        """Delete one stored message."""

    @abstractmethod
    def identity(self) -> Identity: ...

    @abstractmethod
    def network(self) -> NetworkState: ...

    def set_event_handler(self, handler: EventHandler | None) -> None:
        self._on_event = handler

    def _emit(self, event: ModemEvent) -> None:
        handler = getattr(self, "_on_event", None)
        if handler is not None:
            handler(event)
