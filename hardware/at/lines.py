"""Bytes into lines, and lines into answers or unsolicited result codes (URCs).

Pure code: no I/O, no threads, no clock, so every case is tested byte by byte.

A modem ends lines with CR LF, but a read can stop between the two, some firmware
sends a bare CR or LF, and a USB modem waking up spits out NULs and line noise. Any CR
or LF therefore ends a line and blank lines are dropped. The `> ` prompt of AT+CMGS
has no line end at all: it is recognised as a `>` at the start of a line.

A modem may interleave an unsolicited code with the answer to a command (27.007 asks it
not to, but real firmware does), so sorting cannot rely on timing. The rule: while a
command is in flight, a `+NAME:`/`^NAME:` line belongs to the answer only when NAME is
the command's own name; known URCs and every other named line are unsolicited. Bare
lines (a PDU, `OK`, a model name) belong to the answer. With nothing in flight, every
line is unsolicited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final as Constant

from hardware.at.results import parse_final


class Prompt:
    """The `> ` prompt: the modem waits for the PDU of AT+CMGS."""

    def __repr__(self) -> str:
        return "PROMPT"


PROMPT: Constant = Prompt()
Token = str | Prompt

_CR, _LF, _GT = 0x0D, 0x0A, 0x3E
MAX_LINE = 2048  # octets; a PDU line is at most ~370, so more is noise with no line end
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class LineFramer:
    """Turns the byte stream into lines and prompts, keeping partial lines between feeds."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._buf = b""
        self._max_line = max_line

    def feed(self, data: bytes) -> list[Token]:
        buf = self._buf + data
        tokens: list[Token] = []
        start = 0
        for i, byte in enumerate(buf):
            if byte in (_CR, _LF):
                self._emit(buf[start:i], tokens)
                start = i + 1
            elif byte == _GT and not buf[start:i].strip():
                tokens.append(PROMPT)
                start = i + 1
            elif i - start >= self._max_line:
                self._emit(buf[start:i], tokens)
                start = i
        self._buf = buf[start:]
        return tokens

    @staticmethod
    def _emit(raw: bytes, tokens: list[Token]) -> None:
        line = _CONTROL.sub("", raw.decode("utf-8", "replace")).strip()
        if line.strip("\ufffd \t"):
            tokens.append(line)


@dataclass(frozen=True)
class Urc:
    """An unsolicited result code; `pdu` is the second line of `+CMT`/`+CDS`/`+CBM`."""

    line: str
    pdu: str = ""

    @property
    def name(self) -> str:
        return line_name(self.line) or self.line


# Unsolicited codes without a +/^ name, which would otherwise pass for answer lines
# (every named line that is not the command's own is unsolicited anyway).
BARE_URCS = frozenset(
    {"RING", "Call Ready", "SMS Ready", "RDY", "PB DONE", "SMS DONE", "NORMAL POWER DOWN"}
)
_TWO_LINE = frozenset({"+CMT", "+CBM"})
_CDS_PDU = re.compile(r"^\+CDS:\s*\d+\s*$")  # PDU mode; in text mode +CDS is one line
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_REGISTRATION = frozenset({"+CREG", "+CGREG", "+CEREG"})


def line_name(line: str) -> str:
    """`+CMTI` for `+CMTI: "SM",3`; "" for a line that is not a named code."""
    if line[:1] not in ("+", "^"):
        return ""
    head = line.split(":", 1)[0]
    return head.strip() if ":" in line else head.split(" ", 1)[0]


def command_name(command: str) -> str:
    """`+CMGL` for `AT+CMGL=4`, `^SYSINFO` for `AT^SYSINFO`, "" for `ATE0` or `AT`."""
    match = re.match(r"^AT([+^][A-Z0-9]+)", command.upper())
    return match.group(1) if match else ""


class LineSorter:
    """Decides for each line: part of the answer in flight, or unsolicited."""

    def __init__(self) -> None:
        self._pending: str | None = None  # first line of a two-line URC

    def sort(self, line: str, answering: str | None) -> list[Urc | str]:
        """`answering`: the in-flight command's name ("" for basic ones), None when idle.

        Returns the URCs and answer lines this line completes: usually one, none while
        a two-line URC is half read.
        """
        out: list[Urc | str] = []
        if self._pending is not None:
            first, self._pending = self._pending, None
            if _HEX.match(line):
                return [Urc(first, line)]
            out.append(Urc(first))  # the PDU never came: the header alone, then this line
        name = line_name(line)
        if name in _TWO_LINE or _CDS_PDU.match(line):
            self._pending = line
        elif answering is None:
            out.append(Urc(line))
        elif parse_final(line) is not None or (name == answering and _is_answer(name, line)):
            out.append(line)
        elif name or line in BARE_URCS:
            out.append(Urc(line))
        else:
            out.append(line)
        return out


def _is_answer(name: str, line: str) -> bool:
    """+CREG answers `<n>,<stat>[,...]`; the URC is `<stat>[,"<lac>",...]`."""
    if name not in _REGISTRATION:
        return True
    fields = line.partition(":")[2].split(",")
    return len(fields) >= 2 and fields[1].strip().isdigit()
