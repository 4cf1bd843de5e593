"""Final result codes: the line that ends a command's answer, and the error it means.

Modems give `+CME ERROR`/`+CMS ERROR` as numbers after `AT+CMEE=1`, but some ignore it
and use the verbose form (`+CME ERROR: SIM PIN required`), and a modem that has just
rebooted has forgotten CMEE entirely. Both forms map to the same numeric code so the
tables in `hardware.errors` decide retry or give up the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from hardware.errors import CmeError, CmsError, CommandError, ModemError

FinalKind = Literal["ok", "error", "cme", "cms"]

# TS 27.007 section 9.2.1: the verbose texts of +CME ERROR.
CME_TEXTS: dict[str, int] = {
    "phone failure": 0,
    "no connection to phone": 1,
    "phone-adaptor link reserved": 2,
    "operation not allowed": 3,
    "operation not supported": 4,
    "ph-sim pin required": 5,
    "ph-fsim pin required": 6,
    "ph-fsim puk required": 7,
    "sim not inserted": 10,
    "sim pin required": 11,
    "sim puk required": 12,
    "sim failure": 13,
    "sim busy": 14,
    "sim wrong": 15,
    "incorrect password": 16,
    "sim pin2 required": 17,
    "sim puk2 required": 18,
    "memory full": 20,
    "invalid index": 21,
    "not found": 22,
    "memory failure": 23,
    "text string too long": 24,
    "invalid characters in text string": 25,
    "dial string too long": 26,
    "invalid characters in dial string": 27,
    "no network service": 30,
    "network timeout": 31,
    "network not allowed - emergency calls only": 32,
    "unknown": 100,
}
CME_UNKNOWN = 100

# TS 27.005 section 3.2.5: the verbose texts of +CMS ERROR (the ME/TA range).
CMS_TEXTS: dict[str, int] = {
    "me failure": 300,
    "sms service of me reserved": 301,
    "operation not allowed": 302,
    "operation not supported": 303,
    "invalid pdu mode parameter": 304,
    "invalid text mode parameter": 305,
    "sim not inserted": 310,
    "sim pin required": 311,
    "ph-sim pin required": 312,
    "sim failure": 313,
    "sim busy": 314,
    "sim wrong": 315,
    "sim puk required": 316,
    "sim pin2 required": 317,
    "sim puk2 required": 318,
    "memory failure": 320,
    "invalid memory index": 321,
    "memory full": 322,
    "smsc address unknown": 330,
    "no network service": 331,
    "network timeout": 332,
    "no +cnma acknowledgement expected": 340,
    "unknown error": 500,
}
CMS_UNKNOWN = 500

# Final codes of V.250 and of modems that invent their own. `+CMGS ERROR: <n>` is how
# Fibocom modules report a failed send when told to give numeric codes.
_PLAIN_ERRORS = frozenset(
    {
        "ERROR",
        "NO CARRIER",
        "BUSY",
        "NO ANSWER",
        "NO DIALTONE",
        "ABORTED",
        "COMMAND NOT SUPPORT",  # Huawei
        "TOO MANY PARAMETERS",  # Huawei
    }
)
_CODED = re.compile(r"^\+(CME|CMS|CMGS) ERROR:?\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Final:
    """A final result code; `code` is set for CME/CMS errors."""

    kind: FinalKind
    line: str
    code: int | None = None


def parse_final(line: str) -> Final | None:
    """The final result this line is, or None when the answer goes on."""
    if line == "OK":
        return Final("ok", line)
    if line in _PLAIN_ERRORS:
        return Final("error", line)
    match = _CODED.match(line)
    if match is None:
        return None
    family, detail = match.group(1).upper(), match.group(2).strip()
    if family == "CME":
        return Final("cme", line, _code(detail, CME_TEXTS, CME_UNKNOWN))
    return Final("cms", line, _code(detail, CMS_TEXTS, CMS_UNKNOWN))


def _code(detail: str, texts: dict[str, int], unknown: int) -> int:
    if detail.isdigit():
        return int(detail)
    return texts.get(detail.strip('"').lower(), unknown)


def error_for(final: Final, command: str) -> ModemError | None:
    """The exception a final result code stands for (None for OK)."""
    if final.kind == "ok":
        return None
    if final.kind == "cms":
        return CmsError(final.code if final.code is not None else CMS_UNKNOWN, command)
    if final.kind == "cme":
        return CmeError(final.code if final.code is not None else CME_UNKNOWN, command)
    return CommandError(f"{final.line} on {command}")
