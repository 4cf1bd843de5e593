"""Bringing a modem from power-on to ready: sync, SIM, PDU mode, indications, network.

Each step knows the way real modems fail it: a SIM busy for seconds after power-on
(CME 14 / CMS 314), CNMI and CPMS forms some firmware refuses, a service centre that is
empty until the SIM has been read. Waiting happens only here, never on the send path.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from hardware.at import replies
from hardware.at.commands import AtChannel, Timeouts
from hardware.errors import (
    CmeError,
    CmsError,
    CommandError,
    ModemError,
    ModemNotReady,
    ModemTimeout,
    PinRefused,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

SYNC_ATTEMPTS = 5
POLL_INTERVAL = 0.5  # seconds between questions while waiting for the SIM or network
SIM_BUSY = (14, 314)  # CME "SIM busy", CMS "SIM busy"
NO_SIM = (10, 13, 310, 313)  # not inserted, SIM failure
REFUSALS = (CommandError, CmeError, CmsError)

# 27.005 +CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>: mt=1 announces stored messages as +CMTI;
# ds=1 routes status reports as "+CDS: <len>" and the PDU, ds=2 stores them and says
# +CDSI. Best first; older firmware refuses the longer forms.
CNMI_FORMS = (
    "AT+CNMI=2,1,0,1,0",
    "AT+CNMI=2,1,0,2,0",
    "AT+CNMI=2,1,0,0,0",
    "AT+CNMI=1,1,0,1,0",
    "AT+CNMI=2,1",
    "AT+CNMI=1,1",
)
# Read, write and receive all in one store, so +CMTI indexes are valid for AT+CMGR.
CPMS_FORMS = (
    'AT+CPMS="SM","SM","SM"',
    'AT+CPMS="ME","ME","ME"',
    'AT+CPMS="MT","MT","MT"',
)


class Startup:
    """The open() sequence, and the memory that outlives one open: a refused PIN."""

    def __init__(
        self, name: str, pin: str, timeouts: Timeouts, registration_timeout: float
    ) -> None:
        self._name = name
        self._pin = pin
        self._timeouts = timeouts
        self._registration_timeout = registration_timeout
        self.pin_refused = False  # for the life of the object: see PinRefused

    def run(self, channel: AtChannel) -> None:
        sync(channel, self._timeouts.sync)
        channel.command("ATE0")
        _optional(channel, "AT+CMEE=1")  # numeric +CME ERROR codes
        self._unlock_sim(channel)
        self._while_sim_busy(channel, lambda: channel.command("AT+CMGF=0"))
        self._first_accepted(channel, CNMI_FORMS, "new-message indications")
        self._first_accepted(channel, CPMS_FORMS, "a message store")
        self._wait_registered(channel)
        self._wait_service_centre(channel)

    # -- SIM ------------------------------------------------------------------------

    def sim_state(self, channel: AtChannel) -> str:
        """NetworkState.sim; "pin-refused" once this object's PIN has been refused."""
        try:
            state = replies.sim_state(channel.command("AT+CPIN?"))
        except (CmeError, CmsError) as exc:
            if exc.code in NO_SIM:
                return "no-sim"
            raise
        if state == "pin-required" and self.pin_refused:
            return "pin-refused"
        return state

    def _unlock_sim(self, channel: AtChannel) -> None:
        state = self._while_sim_busy(channel, lambda: self.sim_state(channel))
        if state == "ready":
            return
        if state == "pin-refused":
            raise PinRefused("the SIM refused this PIN before; it is not offered again")
        if state != "pin-required":
            raise ModemNotReady(f"SIM state: {state}", state=state)
        if not self._pin:
            raise ModemNotReady("the SIM asks for a PIN and none is configured", state=state)
        self._enter_pin(channel)

        def ask() -> str:  # the SIM answers "busy" while it reads itself after the PIN
            return self._while_sim_busy(channel, lambda: self.sim_state(channel))

        state = self._wait_for(channel, self._timeouts.sim_ready, ask, "ready")
        if state != "ready":
            raise ModemNotReady(f"SIM state after the PIN: {state}", state=state)

    def _enter_pin(self, channel: AtChannel) -> None:
        try:
            channel.command(f'AT+CPIN="{self._pin}"')
        except REFUSALS as exc:
            self.pin_refused = True
            raise PinRefused(f"the SIM refused the PIN ({exc}); not offered again") from exc
        except ModemError:
            # No answer, or the port went: the SIM may have counted the try. Offering it
            # again blind could be the third strike, so this object never does.
            self.pin_refused = True
            log.error("%s: no clear answer to the PIN; it is not offered again", self._name)
            raise

    def _while_sim_busy(self, channel: AtChannel, ask: Callable[[], T]) -> T:
        deadline = time.monotonic() + self._timeouts.sim_ready
        while True:
            try:
                return ask()
            except (CmeError, CmsError) as exc:
                if exc.code not in SIM_BUSY or time.monotonic() >= deadline:
                    raise
            channel.pause(POLL_INTERVAL)

    # -- messaging set-up -----------------------------------------------------------

    def _first_accepted(self, channel: AtChannel, forms: tuple[str, ...], what: str) -> None:
        for command in forms:
            try:
                self._while_sim_busy(channel, functools.partial(channel.command, command))
                return
            except REFUSALS as exc:
                log.info("%s: modem refuses %s (%s)", self._name, command, exc)
        log.warning("%s: modem refused every form of %s; going on without", self._name, what)

    # -- network --------------------------------------------------------------------

    def registration(self, channel: AtChannel) -> str:
        """CS registration (+CREG), or EPS (+CEREG) for LTE modules that only attach there."""
        state = "unknown"
        for name in ("+CREG", "+CEREG"):
            try:
                state = replies.registration(channel.command(f"AT{name}?"), name)
            except REFUSALS:
                continue
            if state in ("home", "roaming"):
                return state
        return state

    def _wait_registered(self, channel: AtChannel) -> None:
        timeout = self._registration_timeout
        state = self._wait_for(
            channel, timeout, lambda: self.registration(channel), "home", "roaming"
        )
        if state not in ("home", "roaming"):
            raise ModemNotReady(
                f"not registered on a network after {timeout:g} s (last: {state})",
                state="not-registered",
            )

    def _wait_service_centre(self, channel: AtChannel) -> None:
        def ask() -> str:
            try:
                return replies.service_centre(channel.command("AT+CSCA?"))
            except REFUSALS:
                return ""

        timeout = self._timeouts.service_centre
        number = self._wait_for(channel, timeout, ask, lambda value: bool(value))
        if not number:
            raise ModemNotReady(
                f"no SMS service centre known after {timeout:g} s (AT+CSCA?)",
                state="no-service-centre",
            )
        log.info("%s: service centre %s", self._name, number)

    @staticmethod
    def _wait_for(channel: AtChannel, timeout: float, ask: Callable[[], T], *good: object) -> T:
        """Ask until the answer is one of `good` (or passes a `good` test) or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            value = ask()
            if any(g(value) if callable(g) else value == g for g in good):
                return value
            if time.monotonic() >= deadline:
                return value
            channel.pause(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))


def sync(channel: AtChannel, timeout: float) -> None:
    """Get the modem's attention: the first AT after power-on or junk often goes unheard."""
    last: ModemError | None = None
    for _ in range(SYNC_ATTEMPTS):
        try:
            channel.command("AT", timeout=timeout)
            return
        except (ModemTimeout, CommandError) as exc:
            last = exc
    assert last is not None
    if isinstance(last, ModemTimeout):
        raise ModemTimeout("AT", timeout * SYNC_ATTEMPTS, last.partial) from last
    raise last


def _optional(channel: AtChannel, command: str) -> None:
    try:
        channel.command(command)
    except REFUSALS as exc:
        log.info("modem refuses %s (%s)", command, exc)
