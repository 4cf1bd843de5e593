"""Hex in, bytes out, and a cursor that turns running off the end into PduError."""

from __future__ import annotations

import re

from .model import PduError

_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def parse_hex(pdu: str) -> bytes:
    """The octets of a hex PDU; surrounding whitespace (a modem's CR) is forgiven."""
    if not isinstance(pdu, str):
        raise PduError(f"a PDU is a hex string, not {type(pdu).__name__}")
    text = pdu.strip()
    if not _HEX.fullmatch(text):
        raise PduError(f"not an even-length hex string: {text[:40]!r}")
    return bytes.fromhex(text)


def check_octet(value: int, name: str) -> int:
    """`value` if it fits the one-octet field `name`."""
    if not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise PduError(f"{name} {value!r} is not 0-255")
    return value


class Reader:
    """Reads a PDU front to back; every read names the field it wanted."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def octet(self, field: str) -> int:
        if self._pos >= len(self._data):
            raise PduError(f"PDU ends before the {field}")
        value = self._data[self._pos]
        self._pos += 1
        return value

    def peek(self, field: str) -> int:
        if self._pos >= len(self._data):
            raise PduError(f"PDU ends before the {field}")
        return self._data[self._pos]

    def take(self, count: int, field: str) -> bytes:
        end = self._pos + count
        if end > len(self._data):
            raise PduError(
                f"PDU ends inside the {field} ({len(self._data) - self._pos} of {count} octets)"
            )
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk
