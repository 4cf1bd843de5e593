"""gammu's debug log, read back: the modem's own words, which python-gammu drops.

python-gammu hands out decoded dicts and libgammu's own error numbers. Three facts the
gateway needs exist only in the AT traffic, which libgammu writes to its debug log at
level "text" as numbered reply lines (`3 "+CMS ERROR: 38"`):
- the +CMS/+CME code behind a refusal: gammu folds CMS 38 (network out of order, worth a
  retry) and CMS 1 (unassigned number, never) alike into ERR_UNKNOWN;
- the raw PDU of a stored message, as AT+CMGL / AT+CMGR gave it (gammu's decoded text is
  not exact: see stored.py);
- the raw PDU of a status report routed to us as +CDS.

The log lives in a private directory and is rotated (a new file, the old one deleted)
when it grows, and straight after a PIN was entered: libgammu logs AT+CPIN="...".
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 1 << 20  # rotate past this, so a daemon running for months stays small

_REPLY = re.compile(r'^(\d+) "(.*)"$')
_HEX = re.compile(r"[0-9A-Fa-f]+")
_FINAL = re.compile(r"^(OK|ERROR|\+CMS ERROR:.*|\+CME ERROR:.*)$")
_CODE = re.compile(r"^\+(CMS|CME) ERROR: *(\d+)$")
_CPMS_SET = re.compile(r'^AT\+CPMS="(\w+)"')
_CMGR_CMD = re.compile(r"^AT\+CMGR=(\d+)$")
_CMGL = re.compile(r"^\+CMGL: *(\d+), *(\d+)")
_CMGR = re.compile(r"^\+CMGR: *(\d+)")
_CDS = re.compile(r"^\+CDS: *\d+$")
_PIN = re.compile(r'(\+CPIN=)"?[^";]*"?', re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One line of a frame: number 1 is the echoed command, or the first line of a URC."""

    number: int
    text: str


@dataclass(frozen=True)
class RawStored:
    memory: str  # "SM", "ME", ... as the last AT+CPMS chose; "" when not seen
    index: int  # the modem's own index in that memory
    status: int  # 27.005 <stat>
    pdu: str  # hex, SMSC octets first


@dataclass(frozen=True)
class Batch:
    """What one call (or one idle tick) made the modem say."""

    lines: list[Line] = field(default_factory=list)
    stored: list[RawStored] = field(default_factory=list)  # from AT+CMGL / AT+CMGR
    reports: list[str] = field(default_factory=list)  # +CDS status-report PDUs


class DebugTap:
    """The log file libgammu writes, and how far we have read it."""

    def __init__(self, directory: str) -> None:
        self._directory = directory
        self._serial = 0
        self._offset = 0
        self.path = self._path_for(0)
        self.memory = ""  # the message store gammu last selected; outlives one read

    def _path_for(self, serial: int) -> str:
        return os.path.join(self._directory, f"gammu-{serial}.log")

    def read(self) -> Batch:
        """What was written since the last read (whole lines only), a PIN masked."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return Batch()
        end = data.rfind(b"\n") + 1
        self._offset += end
        lines = []
        for raw in data[:end].decode("utf-8", "replace").splitlines():
            match = _REPLY.match(raw)
            if match:
                lines.append(Line(int(match[1]), _PIN.sub(r'\1"****"', match[2])))
        stored, self.memory = stored_pdus(lines, self.memory)
        return Batch(lines, stored, status_reports(lines))

    @property
    def due(self) -> bool:
        return self._offset > MAX_BYTES

    def rotate(self, sm: Any) -> None:
        """Point `sm` at a fresh file and delete the old one (from the owner thread only).

        Also called straight after a PIN was entered, so it is on disk for milliseconds.
        """
        old = self.path
        self._serial += 1
        self.path = self._path_for(self._serial)
        self._offset = 0
        sm.SetDebugFile(self.path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(old)


def final_refusal(lines: list[Line]) -> tuple[str, int] | None:
    """("CMS", 38) when the last final result code in `lines` was an error with a code.

    Only the last one counts: gammu probes with commands that may fail harmlessly
    (AT+CPROT=? during Init), and those say nothing about why a call failed.
    """
    for line in reversed(lines):
        text = line.text.strip()
        if _FINAL.match(text):
            code = _CODE.match(text)
            return (code[1], int(code[2])) if code else None
    return None


def stored_pdus(lines: list[Line], memory: str) -> tuple[list[RawStored], str]:
    """PDUs listed by AT+CMGL or read by AT+CMGR in `lines`, and the memory in force after.

    `memory` is the store selected before these lines; an AT+CPMS among them changes it.
    """
    found: list[RawStored] = []
    command = ""
    pending: tuple[int, int] | None = None  # (index, stat) waiting for its PDU line
    for line in lines:
        text = line.text.strip()
        if line.number == 1 and text.upper().startswith("AT"):
            command, pending = text.upper(), None
            selected = _CPMS_SET.match(command)
            memory = selected[1] if selected else memory
            continue
        if pending is not None:
            if _HEX.fullmatch(text):
                found.append(RawStored(memory, pending[0], pending[1], text.upper()))
            pending = None
            continue
        listed = _CMGL.match(text)
        read = _CMGR.match(text)
        asked = _CMGR_CMD.match(command)
        if listed:
            pending = (int(listed[1]), int(listed[2]))
        elif read and asked:
            pending = (int(asked[1]), int(read[1]))
    return found, memory


def status_reports(lines: list[Line]) -> list[str]:
    """The PDUs of `+CDS: <length>` notifications in `lines`, in order."""
    found: list[str] = []
    expecting = False
    for line in lines:
        text = line.text.strip()
        if expecting and _HEX.fullmatch(text):
            found.append(text.upper())
            expecting = False
            continue
        expecting = bool(_CDS.match(text))
    return found
