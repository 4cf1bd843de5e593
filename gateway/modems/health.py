"""What a modem's answers mean for the operator, and finding a modem that moved.

States the console and `smsgw status` show: ready, no-sim, pin-required, pin-refused,
not-registered, no-signal, unresponsive, disconnected, resting.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
from collections.abc import Callable, Iterable

from hardware.errors import ModemError, ModemNotReady
from hardware.modem import Modem, NetworkState

log = logging.getLogger(__name__)

SIM_STATES = {
    "no-sim": ("no-sim", "no SIM card: check it is seated"),
    "pin-required": ("pin-required", "the SIM asks for a PIN: set modem.pin in the config"),
    "puk-required": ("pin-refused", "the SIM is locked behind its PUK: ask the network"),
    "pin-refused": ("pin-refused", "the SIM refused the PIN: correct modem.pin, then restart"),
}


def state_of(net: NetworkState) -> tuple[str, str]:
    """The operator's word for a modem's condition, and what to do about it."""
    if net.sim in SIM_STATES:
        return SIM_STATES[net.sim]
    if net.sim not in ("ready", ""):
        return "no-sim", f"SIM state {net.sim}"
    if net.registration == "unknown" and net.rssi != 0:
        # The modem will not say (libgammu's query fails on a modem without AT+CGATT):
        # try to send, as gammu-smsd does; a refused send is retried, a wait never ends.
        return "ready", "registration unknown: sending anyway"
    if not net.registered:
        if net.rssi in (None, 0):
            return "no-signal", "no signal: move the modem or fit an aerial"
        return "not-registered", f"not registered on a network ({net.registration})"
    if net.rssi in (None, 0):
        return "no-signal", "registered, but no usable signal"
    return "ready", ""


def candidates(patterns: Iterable[str], exclude: Iterable[str]) -> list[str]:
    """Devices that might be the missing modem, by-id names first (they survive a re-plug)."""
    skip = {os.path.realpath(p) for p in exclude}
    seen: set[str] = set()
    found: list[str] = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            real = os.path.realpath(path)
            if real in skip or real in seen:
                continue
            seen.add(real)
            found.append(path)
    return found


def find_by_imei(imei: str, paths: Iterable[str], open_probe: Callable[[str], Modem]) -> str | None:
    """The path whose modem reports `imei`, or None. Ports held by another driver fail to
    open and are passed over."""
    for path in paths:
        probe = open_probe(path)
        try:
            with contextlib.suppress(ModemNotReady):  # the modem still says its IMEI
                probe.open()
            found = probe.identity().imei
        except ModemError as exc:
            log.debug("%s is not our modem: %s", path, exc)
            continue
        finally:
            probe.close()
        if found == imei:
            return path
    return None
