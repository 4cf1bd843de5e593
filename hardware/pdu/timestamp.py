"""Service-centre time stamps (TS 23.040 9.2.3.11): seven swapped-BCD octets, the last
the offset from UTC in quarter hours with its sign in bit 3."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .model import PduError
from .octets import Reader

MAX_QUARTERS = 79  # two BCD digits, the top bit of the tens digit taken by the sign
_QUARTER = timedelta(minutes=15)


def _bcd_octet(value: int) -> int:
    tens, units = divmod(value, 10)
    return (units << 4) | tens


def encode(moment: datetime) -> bytes:
    if not isinstance(moment, datetime):
        raise PduError(f"a PDU time stamp needs a datetime, not {type(moment).__name__}")
    offset = moment.utcoffset()
    if offset is None:
        raise PduError("a PDU time stamp needs a timezone-aware datetime")
    quarters, rest = divmod(abs(offset), _QUARTER)
    if rest or quarters > MAX_QUARTERS:
        raise PduError(f"UTC offset {offset} is not a whole number of quarter hours up to 19:45")
    if not 2000 <= moment.year <= 2099:
        raise PduError(f"year {moment.year} does not fit a two-digit PDU time stamp")
    fields = (
        moment.year - 2000,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )
    zone = _bcd_octet(quarters) | (0x08 if offset < timedelta(0) else 0)
    return bytes([*map(_bcd_octet, fields), zone])


def _digit_pair(octet: int, field: str) -> int:
    units, tens = octet >> 4, octet & 0x0F
    if units > 9 or tens > 9:
        raise PduError(f"time stamp {field} octet {octet:02X} is not BCD")
    return tens * 10 + units


def read(reader: Reader, field: str) -> datetime:
    raw = reader.take(7, field)
    year, month, day, hour, minute, second = (_digit_pair(octet, field) for octet in raw[:6])
    zone = raw[6]
    units, tens = zone >> 4, zone & 0x07
    if units > 9:
        raise PduError(f"{field} zone octet {zone:02X} is not BCD")
    offset = (tens * 10 + units) * _QUARTER
    if zone & 0x08:
        offset = -offset
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError as exc:
        raise PduError(f"{field} is not a real time: {exc}") from exc
