"""Addresses (TS 23.040 9.1.2.5) and the service-centre address (TS 24.011 8.2.5.1).

Type-of-address octet: 1 TON(3 bits) NPI(4 bits). We send 0x91 (international, E.164)
for "+digits", 0x81 (unknown, E.164: "as dialled") for plain digits and 0xD0
(alphanumeric, GSM 7-bit packed) for a sender name.
"""

from __future__ import annotations

import re

from . import gsm7
from .model import PduError, SenderType
from .octets import Reader

TOA_INTERNATIONAL = 0x91
TOA_UNKNOWN = 0x81
TOA_ALPHANUMERIC = 0xD0

MAX_DIGITS = 20  # the address field holds at most 10 octets of semi-octets
MAX_ALPHA_SEPTETS = 11  # 11 septets = 77 bits, the most that fits in those 10 octets
MAX_SMSC_OCTETS = 11  # type octet plus 10 octets of digits

_NUMBER = re.compile(r"(\+?)([0-9]{1,20})")
# Semi-octet values above 9: '*', '#', 'a', 'b', 'c'; 0xF is the filler.
_FROM_NIBBLES = str.maketrans({"a": "*", "b": "#", "c": "a", "d": "b", "e": "c", "f": None})
_TON_TYPES: dict[int, SenderType] = {
    0: "national",  # "unknown": the number as the sender dialled it
    1: "international",
    2: "national",
    5: "alphanumeric",
}


def _bcd(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes.fromhex("".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2)))


def _digits(octets: bytes, count: int) -> str:
    swapped = octets.hex()
    flipped = "".join(swapped[i + 1] + swapped[i] for i in range(0, len(swapped), 2))
    return flipped[:count].translate(_FROM_NIBBLES)


def _split_number(number: str, what: str) -> tuple[int, str]:
    match = _NUMBER.fullmatch(number)
    if match is None:
        raise PduError(f"{what} {number!r} is not '+' and digits or plain digits")
    return (TOA_INTERNATIONAL if match.group(1) else TOA_UNKNOWN), match.group(2)


def encode_number(number: str, what: str = "number") -> bytes:
    """TP-DA / TP-RA / TP-OA for a phone number: length in digits, type, semi-octets."""
    toa, digits = _split_number(number, what)
    return bytes([len(digits), toa]) + _bcd(digits)


def encode_originator(sender: str) -> bytes:
    """TP-OA: a number as in `encode_number`, anything else as an alphanumeric name."""
    if _NUMBER.fullmatch(sender):
        return encode_number(sender, "sender")
    if not sender:
        raise PduError("the sender is empty")
    septets = gsm7.to_septets(sender)
    if len(septets) > MAX_ALPHA_SEPTETS:
        raise PduError(f"alphanumeric sender {sender!r} is over {MAX_ALPHA_SEPTETS} septets")
    # The length counts the semi-octets actually used, so no padding septet is implied.
    return bytes([(len(septets) * 7 + 3) // 4, TOA_ALPHANUMERIC]) + gsm7.pack(septets)


def read_address(reader: Reader, field: str) -> tuple[str, SenderType]:
    length = reader.octet(f"{field} length")
    toa = reader.octet(f"{field} type")
    if length > MAX_DIGITS:
        raise PduError(f"{field} length {length} is over {MAX_DIGITS} semi-octets")
    octets = reader.take((length + 1) // 2, field)
    ton = (toa >> 4) & 0x07
    kind = _TON_TYPES.get(ton, "other")
    if kind == "alphanumeric":
        return gsm7.decode_packed(octets, length * 4 // 7), kind
    digits = _digits(octets, length)
    if kind == "international" and digits:
        return "+" + digits, kind
    return digits, kind


def encode_smsc(smsc: str) -> bytes:
    """The SMSC part in front of the TPDU; "" means the modem's default ("00")."""
    if not smsc:
        return b"\x00"
    toa, digits = _split_number(smsc, "service centre")
    body = bytes([toa]) + _bcd(digits)
    return bytes([len(body)]) + body


def read_smsc(reader: Reader) -> str:
    length = reader.octet("service-centre length")
    if length > MAX_SMSC_OCTETS:
        raise PduError(f"service-centre length {length} is over {MAX_SMSC_OCTETS} octets")
    if length == 0:
        return ""
    body = reader.take(length, "service-centre address")
    digits = _digits(body[1:], 2 * (length - 1))
    if (body[0] >> 4) & 0x07 == 1 and digits:
        return "+" + digits
    return digits
