"""New messages and status reports, told to the gateway as ModemEvents.

gammu calls back from inside ReadDevice (and from inside any other call that meets a
+CMTI or +CDS), always in the owner thread. The callback only notes what came; once the
call returns, the owner hands over what the modem said (a Batch), which holds the raw
status-report PDU, and the events go out. A modem that will not give callbacks has its
store polled instead: the count of stored messages, then the list when it changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from hardware.errors import ModemError, ModemTimeout, PortLost
from hardware.gammu.owner import GammuOwner
from hardware.gammu.stored import list_all, rebuild
from hardware.gammu.tap import Batch
from hardware.modem import ModemEvent
from hardware.pdu import PduError

log = logging.getLogger(__name__)

STORE_POLL = 2.0  # seconds between store counts when polling


class Incoming:
    def __init__(self, name: str, emit: Callable[[ModemEvent], None], *, poll: bool) -> None:
        self._name = name
        self._emit = emit
        self.polling = poll
        self._ready = False
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._known: set[int] = set()
        self._used = -1
        self._next_poll = 0.0

    def enable(self, owner: GammuOwner, timeout: float) -> None:
        """Ask for callbacks; poll the store when the modem will not give them."""
        if not self.polling:

            def ask(sm: Any) -> None:
                sm.SetIncomingCallback(self._callback)
                sm.SetIncomingSMS(True)

            try:
                owner.call(ask, timeout, "SetIncomingSMS")
            except (PortLost, ModemTimeout):
                raise
            except ModemError as exc:
                log.warning("%s: no new-message callbacks (%s); polling", self._name, exc)
                self.polling = True
        if self.polling:
            stored = owner.call(list_all, timeout, "GetNextSMS")
            self._known = {int(sms["Location"]) for sms in stored}
            self._used, self._next_poll = -1, 0.0
        self._pending.clear()
        self._ready = True

    def disable(self) -> None:
        self._ready = False
        self._pending.clear()

    # -- the owner thread ---------------------------------------------------------------

    def idle(self, sm: Any) -> None:
        if not self._ready:
            return
        if self.polling:
            self._poll(sm)
        else:
            sm.ReadDevice()

    def _callback(self, sm: Any, kind: str, data: dict[str, Any]) -> None:
        self._pending.append((kind, data))

    def batch(self, batch: Batch) -> None:
        """After each call: turn what the callbacks noted into events."""
        pending, self._pending = self._pending, []
        reports = list(batch.reports)
        for kind, data in pending:
            if kind != "SMS":
                continue  # calls, USSD, cell broadcast: not an SMS gateway's business
            if data.get("Type") == "Status_Report":
                pdu = reports.pop(0) if reports else _rebuilt(data)
                self._emit(ModemEvent("status-report", pdu=pdu))
            elif "Location" in data:
                self._emit(ModemEvent("message", index=int(data["Location"])))

    def _poll(self, sm: Any) -> None:
        now = time.monotonic()
        if now < self._next_poll:
            return
        self._next_poll = now + STORE_POLL
        counts = sm.GetSMSStatus()
        used = int(counts.get("SIMUsed", 0)) + int(counts.get("PhoneUsed", 0))
        if used == self._used:
            return
        self._used = used
        locations = {int(sms["Location"]) for sms in list_all(sm)}
        for location in sorted(locations - self._known):
            self._emit(ModemEvent("message", index=location))
        self._known = locations


def _rebuilt(data: dict[str, Any]) -> str:
    """A status report gammu decoded but whose PDU the log did not show."""
    try:
        return rebuild(data)
    except PduError as exc:
        log.error("status report cannot be rebuilt (%s): %r", exc, data)
        return ""
