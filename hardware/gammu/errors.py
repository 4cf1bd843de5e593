"""What a gammu error means to the gateway: one table, and the rule that applies it.

The rule, in order:
1. the device is gone or unusable: PortLost, whatever else was said;
2. no answer in time: ModemTimeout;
3. the modem refused with a +CMS/+CME code (read from gammu's debug log, see tap.py):
   CmsError/CmeError with that code, exactly what the AT driver raises, so `permanent`
   comes from the same 3GPP tables in hardware/errors.py;
4. otherwise the table below.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.errors import (
    CmeError,
    CmsError,
    CommandError,
    GarbledReply,
    ModemError,
    ModemNotReady,
    ModemTimeout,
    PortLost,
)
from hardware.gammu.tap import Line, final_refusal


@dataclass(frozen=True)
class Meaning:
    kind: str  # "port-lost", "timeout", "not-ready", "refused", "garbled", "error"
    permanent: bool = False
    state: str = ""  # ModemNotReady.state, for "not-ready"


_LOST = Meaning("port-lost")
_GARBLED = Meaning("garbled")

# Keyed by the exception's class name (gammu.ERR_TIMEOUT -> "ERR_TIMEOUT"). Anything not
# here is a ModemError worth a retry: an unknown failure should not fail a message forever.
GAMMU_ERRORS: dict[str, Meaning] = {
    "ERR_DEVICENOTEXIST": _LOST,  # unplugged, or the wrong path
    "ERR_DEVICEOPENERROR": _LOST,
    "ERR_DEVICEREADERROR": _LOST,
    "ERR_DEVICEWRITEERROR": _LOST,
    "ERR_DEVICENOTWORK": _LOST,
    "ERR_DEVICEBUSY": _LOST,  # another program (ModemManager?) holds the port
    "ERR_DEVICELOCKED": _LOST,  # a stale lock file names another process
    "ERR_DEVICECHANGESPEEDERROR": _LOST,
    "ERR_DEVICEPARITYERROR": _LOST,
    "ERR_DEVICEDTRRTSERROR": _LOST,
    "ERR_NOTCONNECTED": _LOST,
    "ERR_DEVICENOPERMISSION": Meaning("port-lost", permanent=True),  # not in group dialout
    "ERR_DEVICENODRIVER": Meaning("port-lost", permanent=True),
    "ERR_TIMEOUT": Meaning("timeout"),
    "ERR_NOSIM": Meaning("not-ready", state="no-sim"),
    "ERR_SECURITYERROR": Meaning("not-ready", state="sim-locked"),
    "ERR_GETTING_SMSC": Meaning("not-ready", state="no-service-centre"),
    "ERR_EMPTYSMSC": Meaning("not-ready", state="no-service-centre"),
    "ERR_NOSERVICE": Meaning("not-ready", state="not-registered"),
    "ERR_PHONEOFF": Meaning("not-ready", state="radio-off"),
    "ERR_NOTSUPPORTED": Meaning("refused", permanent=True),
    "ERR_NOTIMPLEMENTED": Meaning("refused", permanent=True),
    "ERR_UNKNOWNRESPONSE": _GARBLED,
    "ERR_UNKNOWNFRAME": _GARBLED,
    "ERR_FRAMENOTREQUESTED": _GARBLED,
    "ERR_CORRUPTED": _GARBLED,
    "ERR_WRONGCRC": _GARBLED,
    "ERR_INVALIDDATA": Meaning("error", permanent=True),  # a value gammu cannot encode
    "ERR_INVALIDLOCATION": Meaning("error", permanent=True),
    "ERR_EMPTY": Meaning("error", permanent=True),
    "ERR_FULL": Meaning("error"),  # the SIM store: reading and deleting frees it
    "ERR_BUSY": Meaning("error"),
    "ERR_NETWORK_ERROR": Meaning("error"),
    "ERR_PHONE_INTERNAL": Meaning("error"),
}


def gammu_name(exc: BaseException) -> str:
    return type(exc).__name__


def describe(exc: BaseException) -> str:
    """gammu's own text: its exceptions carry a dict {"Text", "Where", "Code"}."""
    info = exc.args[0] if exc.args else None
    if isinstance(info, dict):
        return f"{info.get('Text', '')} ({gammu_name(exc)} in {info.get('Where', '?')})"
    return f"{gammu_name(exc)}: {exc}"


def translate(exc: BaseException, lines: list[Line], where: str, elapsed: float) -> ModemError:
    """The ModemError for a gammu exception raised by `where` (a StateMachine method)."""
    meaning = GAMMU_ERRORS.get(gammu_name(exc), Meaning("error"))
    text = describe(exc)
    if meaning.kind == "port-lost":
        return PortLost(text, permanent=meaning.permanent)
    if meaning.kind == "timeout":
        return ModemTimeout(where, elapsed, [line.text for line in lines[-5:]])
    refusal = final_refusal(lines)
    if refusal is not None:
        kind, code = refusal
        return CmsError(code, where) if kind == "CMS" else CmeError(code, where)
    if meaning.kind == "not-ready":
        return ModemNotReady(text, state=meaning.state)
    if meaning.kind == "refused":
        return CommandError(text, permanent=meaning.permanent)
    if meaning.kind == "garbled":
        return GarbledReply(text)
    return ModemError(text, permanent=meaning.permanent)
