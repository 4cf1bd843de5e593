"""TP-DCS, TP-UDL and TP-UD together: the three fields depend on each other."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from . import gsm7, ucs2, udh
from .model import Concat, Encoding, PduError
from .octets import Reader

DCS: dict[Encoding, int] = {"gsm7": 0x00, "8bit": 0x04, "ucs2": 0x08}
MAX_SEPTETS = 160
MAX_OCTETS = 140


class UserData(NamedTuple):
    text: str
    encoding: Encoding
    concat: Concat | None
    data: bytes  # the octets after the UDH (for gsm7 still packed)


def encode(text: str, encoding: Encoding, header: bytes) -> bytes:
    """TP-UDL and TP-UD for one part; `header` is the UDH ("" for none)."""
    length, body = _body(text, encoding, len(header))
    return bytes([length]) + header + body


@lru_cache(maxsize=1024)
def _body(text: str, encoding: Encoding, header_length: int) -> tuple[int, bytes]:
    """UDL and the octets after the UDH. They depend only on the header's length, not on
    its content, so one alert's parts are encoded once for all its recipients."""
    if encoding == "gsm7":
        septets = gsm7.to_septets(text)
        header_septets = (header_length * 8 + 6) // 7
        fill = header_septets * 7 - header_length * 8
        return header_septets + len(septets), gsm7.pack(septets, fill)
    octets = ucs2.encode(text)
    return header_length + len(octets), octets


def encoding_of(dcs: int) -> Encoding:
    """The alphabet a TP-DCS (TS 23.038 section 4) selects; compressed text, which
    nothing here can inflate, is handed on as 8-bit data."""
    group = dcs >> 4
    if group <= 0x7:  # general data coding, with or without automatic deletion
        if dcs & 0x20:
            return "8bit"
        return ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 0x03]
    if group == 0xE:  # message waiting indication, UCS-2 text
        return "ucs2"
    if group == 0xF:  # data coding / message class
        return "8bit" if dcs & 0x04 else "gsm7"
    return "gsm7"  # message waiting with GSM text, and the reserved groups


def read(reader: Reader, dcs: int, has_header: bool) -> UserData:
    length = reader.octet("user-data length")
    encoding = encoding_of(dcs)
    if encoding == "gsm7":
        return _read_gsm7(reader, length, has_header)
    if length > MAX_OCTETS:
        raise PduError(f"user-data length {length} is over {MAX_OCTETS} octets")
    octets = reader.take(length, "user data")
    start, concat = udh.parse(octets) if has_header else (0, None)
    body = octets[start:]
    text = ucs2.decode(body) if encoding == "ucs2" else body.decode("latin-1")
    return UserData(text, encoding, concat, body)


def _read_gsm7(reader: Reader, septets: int, has_header: bool) -> UserData:
    if septets > MAX_SEPTETS:
        raise PduError(f"user-data length {septets} is over {MAX_SEPTETS} septets")
    octets = reader.take((septets * 7 + 7) // 8, "user data")
    start, concat = udh.parse(octets) if has_header else (0, None)
    header_septets = (start * 8 + 6) // 7
    if header_septets > septets:
        raise PduError(f"UDH of {start} octets is longer than the {septets}-septet user data")
    text = gsm7.from_septets(gsm7.unpack(octets, header_septets, septets - header_septets))
    return UserData(text, "gsm7", concat, octets[start:])
