"""From gammu's Init to ready: the SIM, the network, the service centre; and the timeouts.

Waiting happens only here, never on the send path. The memory that outlives one open()
is here too: a PIN the SIM refused is never offered again by this object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import gammu

from hardware.errors import ModemError, ModemNotReady, ModemTimeout, PinRefused, PortLost
from hardware.gammu import status
from hardware.gammu.errors import GAMMU_ERRORS
from hardware.gammu.owner import GammuOwner

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_INTERVAL = 0.5  # seconds between questions while waiting for the SIM or network


@dataclass(frozen=True)
class Timeouts:
    """Seconds we wait for the owner thread; libgammu's own per-command timeouts come
    first (it gives up on a silent port after about 12 s), these are backstops."""

    init: float = 60.0  # Init probes slowly: about 5 s on a modem that answers at once
    call: float = 30.0  # any other single call
    send_part: float = 30.0  # per SMS part; libgammu itself pauses 0.7 s in each
    sim_ready: float = 15.0  # the SIM reading itself after the PIN
    service_centre: float = 10.0  # AT+CSCA can be empty for seconds after power-on
    stop: float = 10.0  # Terminate and the thread's end


def fatal(exc: BaseException) -> bool:
    """A gammu error that must travel up even where a missing answer is fine."""
    meaning = GAMMU_ERRORS.get(type(exc).__name__)
    return meaning is not None and meaning.kind in ("port-lost", "timeout")


def answer_or(default: T, sm_call: Callable[[], T]) -> T:
    """sm_call(), or `default` when the modem refuses (but not when the port is gone)."""
    try:
        return sm_call()
    except gammu.GSMError as exc:
        if fatal(exc):
            raise
        return default


class Startup:
    def __init__(
        self, name: str, pin: str, timeouts: Timeouts, registration_timeout: float
    ) -> None:
        self._name = name
        self._pin = pin
        self._timeouts = timeouts
        self._registration_timeout = registration_timeout
        self.pin_refused = False  # for the life of the object: see PinRefused

    # -- SIM ------------------------------------------------------------------------

    def sim_state(self, owner: GammuOwner) -> str:
        """NetworkState.sim; "pin-refused" once this object's PIN has been refused."""

        def ask(sm: Any) -> str:
            try:
                return status.sim_state(sm.GetSecurityStatus())
            except gammu.ERR_NOSIM:
                return "no-sim"

        state = owner.call(ask, self._timeouts.call, "GetSecurityStatus")
        if state == "pin-required" and self.pin_refused:
            return "pin-refused"
        return state

    def unlock_sim(self, owner: GammuOwner) -> None:
        state = self.sim_state(owner)
        if state == "ready":
            return
        if state == "pin-refused":
            raise PinRefused("the SIM refused this PIN before; it is not offered again")
        if state != "pin-required":
            raise ModemNotReady(f"SIM state: {state}", state=state)
        if not self._pin:
            raise ModemNotReady("the SIM asks for a PIN and none is configured", state=state)
        self._enter_pin(owner)
        state = self._wait_for(lambda: self.sim_state(owner), self._timeouts.sim_ready, "ready")
        if state != "ready":
            raise ModemNotReady(f"SIM state after the PIN: {state}", state=state)

    def _enter_pin(self, owner: GammuOwner) -> None:
        pin = self._pin
        try:
            owner.call(
                lambda sm: sm.EnterSecurityCode("PIN", pin),
                self._timeouts.call,
                "EnterSecurityCode",
                secret=True,
            )
        except (PortLost, ModemTimeout):
            # No clear answer, but the SIM may have counted the try: offering it again
            # blind could be the third strike.
            self.pin_refused = True
            log.error("%s: no clear answer to the PIN; it is not offered again", self._name)
            raise
        except ModemError as exc:
            self.pin_refused = True
            raise PinRefused(f"the SIM refused the PIN ({exc}); not offered again") from exc

    # -- network --------------------------------------------------------------------

    def network(self, owner: GammuOwner) -> tuple[str, str]:
        """(registration, operator name); ("unknown", "") when the modem will not say."""

        def ask(sm: Any) -> tuple[str, str]:
            info: dict[str, Any] = answer_or({}, sm.GetNetworkInfo)
            operator = str(info.get("NetworkName") or info.get("NetworkCode") or "")
            return status.registration(info), operator

        return owner.call(ask, self._timeouts.call, "GetNetworkInfo")

    def rssi(self, owner: GammuOwner) -> int | None:
        def ask(sm: Any) -> int | None:
            return status.rssi(answer_or({}, sm.GetSignalQuality))

        return owner.call(ask, self._timeouts.call, "GetSignalQuality")

    def wait_registered(self, owner: GammuOwner) -> None:
        """Wait for a registration; an unknown one is taken as "try to send". libgammu's
        network query fails as a whole when the modem answers ERROR to one of its commands
        (AT+CGATT? on some modules), and gammu-smsd sends anyway; a send the network
        refuses fails and is retried, while waiting here would never send at all."""
        timeout = self._registration_timeout
        state = self._wait_for(
            lambda: self.network(owner)[0], timeout, "home", "roaming", "unknown"
        )
        if state == "unknown":
            log.warning(
                "%s: the modem does not say whether it is registered; sending anyway", self._name
            )
            return
        if state not in ("home", "roaming"):
            raise ModemNotReady(
                f"not registered on a network after {timeout:g} s (last: {state})",
                state="not-registered",
            )

    def wait_service_centre(self, owner: GammuOwner) -> None:
        def ask(sm: Any) -> str:
            smsc: dict[str, Any] = answer_or({}, lambda: sm.GetSMSC(Location=1))
            return str(smsc.get("Number") or "")

        timeout = self._timeouts.service_centre
        number = self._wait_for(
            lambda: owner.call(ask, self._timeouts.call, "GetSMSC"), timeout, bool
        )
        if not number:
            raise ModemNotReady(
                f"no SMS service centre known after {timeout:g} s", state="no-service-centre"
            )
        log.info("%s: service centre %s", self._name, number)

    @staticmethod
    def _wait_for(ask: Callable[[], T], timeout: float, *good: object) -> T:
        """Ask until the answer is one of `good` (or passes a `good` test) or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            value = ask()
            if any(g(value) if callable(g) else value == g for g in good):
                return value
            if time.monotonic() >= deadline:
                return value
            time.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))
