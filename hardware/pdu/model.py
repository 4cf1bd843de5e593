"""The values the PDU codec hands out, and its one error type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Encoding = Literal["gsm7", "ucs2", "8bit"]
SenderType = Literal["international", "national", "alphanumeric", "other"]


class PduError(ValueError):
    """A PDU that cannot be decoded (truncated, wrong lengths, bad hex, bad fields), or a
    value that cannot be put into one (a bad number, an over-long text, a naive time)."""


@dataclass(frozen=True)
class Concat:
    ref: int
    part: int  # 1-based
    parts: int
    ref_bits: int = 8  # 8 or 16 (IEI 0x00 or 0x08)


@dataclass(frozen=True)
class Segments:
    """How a text will travel: what a preview shows and what the encoder does."""

    encoding: Encoding
    units: int  # septets for gsm7 (extension characters count 2), UTF-16 code units for ucs2
    parts: int
    texts: tuple[str, ...]  # the text of each part


@dataclass(frozen=True)
class SubmitPart:
    pdu: str  # hex, SMSC octets first
    tpdu_length: int  # octets after the SMSC part: the number AT+CMGS=<n> wants
    text: str
    concat: Concat | None


@dataclass(frozen=True)
class Submit:
    to: str  # "+447700900123" for international, digits for national/unknown
    text: str
    encoding: Encoding
    concat: Concat | None
    message_ref: int
    status_report: bool
    validity: timedelta | None  # None: no TP-VP, or an enhanced/absolute one


@dataclass(frozen=True)
class Deliver:
    sender: str  # "+4477..." international, "0770..." national, "Police" alphanumeric
    sender_type: SenderType
    smsc: str  # "" when absent
    timestamp: datetime  # service-centre time stamp, timezone-aware
    text: str  # an 8-bit payload appears here as Latin-1, so nothing is lost
    encoding: Encoding
    concat: Concat | None
    data: bytes  # user-data octets after the UDH: an 8-bit payload (7-bit stays packed)


@dataclass(frozen=True)
class StatusReport:
    message_ref: int
    recipient: str
    sc_timestamp: datetime
    discharge_time: datetime
    status: int  # TP-ST

    @property
    def delivered(self) -> bool:
        """TP-ST 0x00-0x1F: the transaction completed (delivered, forwarded or replaced)."""
        return self.status < 0x20

    @property
    def final(self) -> bool:
        """False while the network is still trying (TP-ST 0x20-0x3F)."""
        return not 0x20 <= self.status <= 0x3F
