"""GSM 03.38 (TS 23.038) default alphabet, its extension table, and septet packing.

Everything per character goes through tables built once at import, and encoding is a
single `str.translate`: the daemon encodes the same alert for thousands of recipients.
"""

from __future__ import annotations

import re

from .model import PduError

ESC = 0x1B

# TS 23.038 6.2.1: the default alphabet by septet value. 0x1B is the escape to the
# extension table, not a character, so it is never produced from text.
MAIN = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(MAIN) == 128

# TS 23.038 6.2.1.1: reached by ESC, so each costs two septets.
EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
EXTENSION_CHARS = frozenset(EXTENSION.values())

# What a receiver shows for an escape it does not know: the main-table character
# (23.038 6.2.1.1), except ESC ESC, which is shown as a space.
_DECODE_ESCAPED = tuple(
    EXTENSION.get(code, " " if code == ESC else MAIN[code]) for code in range(128)
)

_ENCODE: dict[int, str] = {ord(ch): chr(code) for code, ch in enumerate(MAIN) if code != ESC}
_ENCODE.update({ord(ch): f"\x1b{chr(code)}" for code, ch in EXTENSION.items()})

# Septets per character: 1 in the main table, 2 in the extension table.
COST: dict[str, int] = {chr(key): len(value) for key, value in _ENCODE.items()}

_NOT_GSM = re.compile("[^" + "".join(re.escape(chr(key)) for key in _ENCODE) + "]")


def is_gsm(text: str) -> bool:
    """True when every character has a GSM 7-bit code (main or extension table)."""
    return _NOT_GSM.search(text) is None


def septet_count(text: str) -> int:
    """Septets `text` needs; the caller has checked `is_gsm`."""
    return len(text) + sum(text.count(ch) for ch in EXTENSION_CHARS)


def to_septets(text: str) -> bytes:
    """One septet value per byte; raises PduError for a character outside the alphabet."""
    found = _NOT_GSM.search(text)
    if found is not None:
        raise PduError(f"{found.group()!r} has no GSM 7-bit code")
    return text.translate(_ENCODE).encode("ascii")


def from_septets(septets: bytes) -> str:
    """Text of septet values (each < 0x80). A lone ESC at the very end is dropped."""
    out: list[str] = []
    escaped = False
    for value in septets:
        if escaped:
            out.append(_DECODE_ESCAPED[value])
            escaped = False
        elif value == ESC:
            escaped = True
        else:
            out.append(MAIN[value])
    return "".join(out)


def pack(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets LSB first after `fill_bits` zero bits (the padding after a UDH)."""
    out = bytearray()
    acc = 0
    nbits = fill_bits
    for value in septets:
        acc |= value << nbits
        nbits += 7
        if nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack(octets: bytes, start: int, count: int) -> bytes:
    """`count` septets from packed `octets`, beginning at septet index `start`."""
    needed = (7 * (start + count) + 7) // 8
    if needed > len(octets):
        raise PduError(f"user data holds {len(octets)} octets, its length says {needed}")
    out = bytearray()
    acc = 0
    nbits = 0
    skip = 7 * start
    first, shift = divmod(skip, 8)
    for value in octets[first:needed]:
        acc |= value << nbits
        nbits += 8
        if shift:
            acc >>= shift
            nbits -= shift
            shift = 0
        while nbits >= 7 and len(out) < count:
            out.append(acc & 0x7F)
            acc >>= 7
            nbits -= 7
    return bytes(out)


def encode_packed(text: str) -> bytes:
    """Text packed into octets with no fill (an alphanumeric address)."""
    return pack(to_septets(text))


def decode_packed(octets: bytes, count: int) -> str:
    return from_septets(unpack(octets, 0, count))
