"""User-data header (TS 23.040 9.2.3.24): we read and write only concatenation."""

from __future__ import annotations

from .model import Concat, PduError

IEI_CONCAT_8 = 0x00
IEI_CONCAT_16 = 0x08
CONCAT_8_LENGTH = 6  # UDHL, IEI, IEL, ref, parts, part


def concat_header(concat: Concat) -> bytes:
    if concat.ref_bits == 16:
        ref = concat.ref.to_bytes(2, "big")
        return bytes([6, IEI_CONCAT_16, 4, *ref, concat.parts, concat.part])
    return bytes([5, IEI_CONCAT_8, 3, concat.ref, concat.parts, concat.part])


def _concat(iei: int, value: bytes) -> Concat | None:
    """23.040 9.2.3.24.1: an element with part 0, no parts or part > parts is ignored."""
    if iei == IEI_CONCAT_8 and len(value) == 3:
        ref, bits, rest = value[0], 8, value[1:]
    elif iei == IEI_CONCAT_16 and len(value) == 4:
        ref, bits, rest = int.from_bytes(value[:2], "big"), 16, value[2:]
    else:
        return None
    parts, part = rest
    if parts == 0 or not 1 <= part <= parts:
        return None
    return Concat(ref=ref, part=part, parts=parts, ref_bits=bits)


def parse(user_data: bytes) -> tuple[int, Concat | None]:
    """Length of the header in octets (its length octet included) and its concat info."""
    if not user_data:
        raise PduError("TP-UDHI is set but there is no user data")
    end = 1 + user_data[0]
    if end > len(user_data):
        raise PduError(f"UDH of {end} octets is longer than the {len(user_data)}-octet user data")
    concat = None
    pos = 1
    while pos < end:
        if pos + 2 > end:
            raise PduError("UDH ends inside an information element's header")
        iei, length = user_data[pos], user_data[pos + 1]
        pos += 2
        if pos + length > end:
            raise PduError(f"UDH element {iei:02X} runs past the end of the header")
        found = _concat(iei, user_data[pos : pos + length])
        concat = found or concat
        pos += length
    return end, concat
