"""Reading the information lines of answers: `+CMGS: 12`, `+CMGL: ...` and the rest.

Pure functions. A line that does not have the documented shape raises GarbledReply,
except in listings, where one bad entry is skipped so it cannot hide the good ones.
"""

from __future__ import annotations

import csv
import logging
import re

from hardware.errors import GarbledReply
from hardware.modem import StoredPdu

log = logging.getLogger(__name__)

_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")

# 27.007 +CREG <stat>; 6-10 are the E-UTRAN "SMS only" and CSFB states of later releases.
REGISTRATION = {
    0: "unregistered",
    1: "home",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "roaming",
    6: "home",
    7: "roaming",
    9: "home",
    10: "roaming",
}

# 27.007 +CPIN <code> -> NetworkState.sim
SIM_STATES = {
    "READY": "ready",
    "SIM PIN": "pin-required",
    "SIM PUK": "puk-required",
}


def fields(line: str) -> list[str]:
    """The comma-separated values after `NAME:`, quotes removed."""
    _, _, rest = line.partition(":")
    try:
        values = next(csv.reader([rest.strip()], skipinitialspace=True), [])
    except csv.Error:  # a stray CR inside a field: no modem sends that on purpose
        values = rest.split(",")
    return [f.strip().strip('"') for f in values]


def named(lines: list[str], name: str) -> list[str]:
    return [line for line in lines if line.upper().startswith(name + ":")]


def is_pdu(line: str) -> bool:
    return bool(_HEX.match(line))


def message_reference(lines: list[str]) -> int:
    """TP-MR from `+CMGS: <mr>[,<ackpdu>]`."""
    for line in named(lines, "+CMGS"):
        values = fields(line)
        if values and values[0].isdigit():
            return int(values[0])
    raise GarbledReply(f"AT+CMGS answered {lines!r}, with no +CMGS: <mr>")


def listing(lines: list[str]) -> list[StoredPdu]:
    """`+CMGL: <index>,<stat>,[<alpha>],<length>` each followed by its PDU line."""
    out: list[StoredPdu] = []
    header: list[str] | None = None
    for line in lines:
        if line.upper().startswith("+CMGL:"):
            if header is not None:
                log.warning("stored message %s has no PDU line; skipped", header)
            header = fields(line)
            continue
        if header is not None and is_pdu(line) and _ints(header[:2]):
            out.append(StoredPdu(index=int(header[0]), pdu=line.upper(), status=int(header[1])))
        else:
            log.warning("skipping unreadable listing line %r after %r", line, header)
        header = None
    if header is not None:
        log.warning("stored message %s has no PDU line; skipped", header)
    return out


def stored(index: int, lines: list[str]) -> StoredPdu | None:
    """`+CMGR: <stat>,[<alpha>],<length>` and the PDU line; None for an empty slot.

    Modems disagree on an empty slot: nothing at all, a zero length, or an empty PDU.
    """
    headers = named(lines, "+CMGR")
    if not headers:
        return None
    header = fields(headers[0])
    pdus = [line for line in lines if is_pdu(line)]
    if header[-1:] == ["0"] or not pdus:
        return None
    if not _ints(header[:1]):
        raise GarbledReply(f"AT+CMGR={index} answered {lines!r}")
    return StoredPdu(index=index, pdu=pdus[0].upper(), status=int(header[0]))


def sim_state(lines: list[str]) -> str:
    """NetworkState.sim from `+CPIN: <code>`.

    Only "SIM PIN" is unlocked with the configured PIN; other locks (PH-SIM PIN, a
    network lock, PIN2, a PUK) need a person and come back as "puk-required" or
    "sim-locked".
    """
    for line in named(lines, "+CPIN"):
        code = line.partition(":")[2].strip().strip('"').upper()
        return SIM_STATES.get(code, "puk-required" if "PUK" in code else "sim-locked")
    raise GarbledReply(f"AT+CPIN? answered {lines!r}")


def registration(lines: list[str], name: str = "+CREG") -> str:
    """NetworkState.registration from `+CREG: <n>,<stat>[,...]`."""
    for line in named(lines, name):
        values = fields(line)
        if len(values) >= 2 and values[1].isdigit():
            return REGISTRATION.get(int(values[1]), "unknown")
    raise GarbledReply(f"AT{name}? answered {lines!r}")


def operator(lines: list[str]) -> str:
    """The operator's name from `+COPS: <mode>[,<format>,<oper>[,<AcT>]]`; "" when none."""
    for line in named(lines, "+COPS"):
        values = fields(line)
        return values[2] if len(values) >= 3 else ""
    return ""


def rssi(lines: list[str]) -> int | None:
    """`+CSQ: <rssi>,<ber>`; 99 means not known."""
    for line in named(lines, "+CSQ"):
        values = fields(line)
        if values and values[0].isdigit():
            value = int(values[0])
            return None if value == 99 or value > 31 else value
    return None


def service_centre(lines: list[str]) -> str:
    """The SMSC number from `+CSCA: "<sca>",<tosca>`; "" when the SIM has none yet."""
    for line in named(lines, "+CSCA"):
        values = fields(line)
        return values[0] if values else ""
    return ""


def first_value(lines: list[str], name: str) -> str:
    """An identity answer: `huawei`, or `+CGMI: huawei` on modems that name it."""
    for line in lines:
        if line.upper().startswith(name + ":"):
            return line.partition(":")[2].strip().strip('"')
        if line:
            return line.strip('"')
    return ""


def _ints(values: list[str]) -> bool:
    return bool(values) and all(v.isdigit() for v in values)
