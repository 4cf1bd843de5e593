"""The SIM's message store: numbered slots holding PDUs, each read or unread.

Shared by the port thread (AT+CMGL/CMGR/CMGD) and whoever injects (the inject-dir
poller, a test), so every method takes the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# 27.005 <stat> in PDU mode and its text-mode name.
REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT, ALL = 0, 1, 2, 3, 4
STAT_NAMES = {
    REC_UNREAD: "REC UNREAD",
    REC_READ: "REC READ",
    STO_UNSENT: "STO UNSENT",
    STO_SENT: "STO SENT",
    ALL: "ALL",
}

# AT+CMGD=<index>,<delflag>: which statuses each flag removes (27.005 section 3.5.4).
_DELFLAG_STATUSES = {
    1: {REC_READ},
    2: {REC_READ, STO_SENT},
    3: {REC_READ, STO_SENT, STO_UNSENT},
    4: {REC_UNREAD, REC_READ, STO_SENT, STO_UNSENT},
}


class StoreFull(Exception):
    """No room for the message: the network keeps it until slots are freed."""


@dataclass(frozen=True)
class Slot:
    index: int
    pdu: str  # hex, SMSC octets first
    status: int

    @property
    def tpdu_length(self) -> int:
        """Octets after the SMSC part: the <length> AT+CMGL and AT+CMGR print."""
        smsc_octets = int(self.pdu[:2], 16)
        return len(self.pdu) // 2 - 1 - smsc_octets


class MessageStore:
    """Slots 1..capacity, like a SIM's EF_SMS."""

    def __init__(self, capacity: int = 30) -> None:
        self.capacity = capacity
        self._slots: dict[int, Slot] = {}
        self._lock = threading.Lock()

    def add_all(self, pdus: list[str]) -> list[int]:
        """Store the parts of one message together, or none of them (StoreFull)."""
        with self._lock:
            free = [i for i in range(1, self.capacity + 1) if i not in self._slots]
            if len(free) < len(pdus):
                raise StoreFull(f"{len(pdus)} part(s) but {len(free)} free slot(s)")
            indices = free[: len(pdus)]
            for index, pdu in zip(indices, pdus, strict=True):
                self._slots[index] = Slot(index, pdu, REC_UNREAD)
            return indices

    def used(self) -> int:
        with self._lock:
            return len(self._slots)

    def indices(self) -> list[int]:
        with self._lock:
            return sorted(self._slots)

    def valid(self, index: int) -> bool:
        return 1 <= index <= self.capacity

    def read(self, index: int) -> Slot | None:
        """The slot as it was, marking it read (reading a message does that on a SIM)."""
        with self._lock:
            slot = self._slots.get(index)
            if slot is not None and slot.status == REC_UNREAD:
                self._slots[index] = Slot(index, slot.pdu, REC_READ)
            return slot

    def list(self, stat: int) -> list[Slot]:
        """Slots with status `stat` (or ALL), in index order; unread ones become read."""
        with self._lock:
            found = [s for _, s in sorted(self._slots.items()) if stat in (ALL, s.status)]
            for slot in found:
                if slot.status == REC_UNREAD:
                    self._slots[slot.index] = Slot(slot.index, slot.pdu, REC_READ)
            return found

    def delete(self, index: int, flag: int = 0) -> None:
        with self._lock:
            if flag == 0:
                self._slots.pop(index, None)
                return
            doomed = _DELFLAG_STATUSES[flag]
            for i in [i for i, s in self._slots.items() if s.status in doomed]:
                del self._slots[i]
