"""The faults a modem in the field shows, as one value the emulator can change while it runs.

The handlers read `Faults.now`, a frozen snapshot replaced whole by `update()`: one
attribute read per command, no lock on the answer path, and a command never sees half an
update. Every way of setting a fault (constructor, Python, CLI, control file) goes through
`update()`, so they validate alike.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

SIM_STATES = ("ready", "absent", "pin")
REGISTRATIONS = (0, 1, 2, 3, 4, 5)  # 27.007 +CREG <stat>; 1 home, 5 roaming
RSSI_UNKNOWN = 99
CMS_NETWORK_OUT_OF_ORDER = 38  # TS 24.011 cause 38: transient, the shortcut fail_every uses
_NUMBER = re.compile(r"\+?\d{3,15}")


class BadFault(ValueError):
    """A fault name or value the emulator does not know; nothing was changed."""


@dataclass(frozen=True)
class FaultState:
    """What is wrong with the modem right now; the defaults are a healthy one."""

    sim: str = "ready"  # "absent": no SIM; "pin": a SIM asking for its PIN was put in
    registration: int = 1
    rssi: int = 23  # 0-31, or 99 for unknown
    mute: bool = False  # the hung dongle: reads everything, answers nothing
    send_latency: float = 0.0  # seconds each AT+CMGS takes
    cms_error: int = CMS_NETWORK_OUT_OF_ORDER  # the code every cms_every-th AT+CMGS gets
    cms_every: int = 0  # 0: never
    cms_error_to: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    report_delay: float = 0.0  # seconds from the +CMGS answer to the status report
    report_failures: float = 0.0  # share of status reports saying "failed" (TP-ST 0x41)
    no_cgatt: bool = False  # a modem without AT+CGATT: it answers ERROR, as some 2G modules do


FAULT_NAMES = frozenset(f.name for f in fields(FaultState)) | {"fail_every"}


def _int(name: str, value: object, ok: Callable[[int], bool], want: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not ok(value):
        raise BadFault(f"{name} must be {want}, not {value!r}")
    return value


def check_seconds(name: str, value: object, most: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadFault(f"{name} must be a number, not {value!r}")
    if not (0 <= value <= most and math.isfinite(value)):  # also refuses nan
        raise BadFault(f"{name} must be between 0 and {most:g}, not {value!r}")
    return float(value)


def _cms_code(name: str, value: object) -> int:
    """27.005 <err>: 0-127 RP causes (TS 24.011), 128-255 TP-FCS, 300-511 the modem's own."""
    return _int(name, value, lambda v: 1 <= v <= 511, "a +CMS ERROR code 1-511")


def _cms_error_to(value: object) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise BadFault(f"cms_error_to must map numbers to codes, not {value!r}")
    table: dict[str, int] = {}
    for number, code in value.items():
        if not isinstance(number, str) or not _NUMBER.fullmatch(number):
            raise BadFault(f"cms_error_to: not a phone number: {number!r}")
        table[number] = _cms_code(f"cms_error_to[{number}]", code)
    return MappingProxyType(table)


def _checked(name: str, value: object) -> object:
    """The value as FaultState holds it; BadFault when it is not one."""
    if name == "sim":
        if value not in SIM_STATES:
            raise BadFault(f"sim must be one of {', '.join(SIM_STATES)}, not {value!r}")
        return value
    if name == "registration":
        return _int(name, value, REGISTRATIONS.__contains__, "a +CREG stat 0-5")
    if name == "rssi":
        return _int(name, value, lambda v: 0 <= v <= 31 or v == RSSI_UNKNOWN, "0-31 or 99")
    if name in ("mute", "no_cgatt"):
        if not isinstance(value, bool):
            raise BadFault(f"{name} must be true or false, not {value!r}")
        return value
    if name in ("send_latency", "report_delay"):
        return check_seconds(name, value)
    if name == "report_failures":
        return check_seconds(name, value, most=1.0)
    if name in ("cms_every", "fail_every"):
        return _int(name, value, lambda v: v >= 0, "a count >= 0")
    if name == "cms_error":
        return None if value is None else _cms_code(name, value)
    if name == "cms_error_to":
        return _cms_error_to(value)
    raise BadFault(f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_NAMES))}")


def resolve(state: FaultState, changes: Mapping[str, Any]) -> FaultState:
    """`state` with `changes` applied, checked all together; BadFault names the first bad one.

    `fail_every: N` is `cms_error: 38, cms_every: N`. `cms_error` with `cms_every: N`
    fails every Nth send; `cms_error` alone changes the code and keeps the period, or
    fails every send when none was set. `cms_error: null` stops the failures.
    """
    values: dict[str, Any] = {name: _checked(name, value) for name, value in changes.items()}
    if "fail_every" in values:
        values.setdefault("cms_every", values.pop("fail_every"))
        values.setdefault("cms_error", CMS_NETWORK_OUT_OF_ORDER)
    if "cms_error" in values:
        if values["cms_error"] is None:
            values["cms_error"] = CMS_NETWORK_OUT_OF_ORDER
            values.setdefault("cms_every", 0)
        elif "cms_every" not in values and state.cms_every == 0:
            values["cms_every"] = 1
    return replace(state, **values)


class Faults:
    """The live fault state of one emulator; `update()` is safe from any thread.

    `on_change(old, new, changed_names)` runs after each update, under the update lock,
    so the emulator can act on an event such as a new SIM asking for its PIN.
    """

    def __init__(self, initial: FaultState | None = None) -> None:
        self._initial = self._now = initial or FaultState()
        self._lock = threading.Lock()
        self.on_change: Callable[[FaultState, FaultState, frozenset[str]], None] | None = None

    @property
    def now(self) -> FaultState:
        return self._now

    def update(self, changes: Mapping[str, Any] | None = None, /, **more: Any) -> FaultState:
        """Set the faults named (all or none of them: BadFault); returns the new state."""
        given = {**(changes or {}), **more}
        with self._lock:
            old = self._now
            self._now = new = resolve(old, given)
            if self.on_change is not None:
                self.on_change(old, new, frozenset(given))
        return new

    def reset(self) -> FaultState:
        """Back to the faults the emulator was made with."""
        initial = self._initial
        return self.update({f.name: getattr(initial, f.name) for f in fields(FaultState)})
