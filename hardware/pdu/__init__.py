"""SMS PDU codec (3GPP TS 23.040, alphabet TS 23.038). STUB: being written; names are fixed.

Directions, as the names say:
- encode_submit / decode_submit: SMS-SUBMIT (phone -> network). The driver encodes, the
  emulator decodes what it was given.
- encode_deliver / decode_deliver: SMS-DELIVER (network -> phone). The emulator encodes
  what it injects, the driver decodes what it reads.
- encode_status_report / decode_status_report: SMS-STATUS-REPORT (network -> phone).
- decode_incoming(hex): DELIVER or STATUS-REPORT by the TP-MTI, as a modem store holds both.

Every hex PDU here starts with the SMSC information (a length octet; "00" means the
modem's default service centre), as AT+CMGS, AT+CMGL and AT+CMGR use them.
Malformed input raises PduError and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Encoding = Literal["gsm7", "ucs2", "8bit"]


class PduError(ValueError):
    """A PDU that cannot be decoded (truncated, wrong lengths, bad hex, bad fields)."""


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
    validity: timedelta | None


@dataclass(frozen=True)
class Deliver:
    sender: str  # "+4477..." international, "0770..." national, "Police" alphanumeric
    sender_type: Literal["international", "national", "alphanumeric", "other"]
    smsc: str  # "" when absent
    timestamp: datetime  # service-centre time stamp, timezone-aware
    text: str
    encoding: Encoding
    concat: Concat | None
    data: bytes  # raw user data (without UDH): the payload of an 8-bit message


@dataclass(frozen=True)
class StatusReport:
    message_ref: int
    recipient: str
    sc_timestamp: datetime
    discharge_time: datetime
    status: int  # TP-ST

    @property
    def delivered(self) -> bool:
        return 0x00 <= self.status <= 0x1F and self.status < 0x20

    @property
    def final(self) -> bool:
        """False while the network is still trying (TP-ST 0x20-0x3F)."""
        return not 0x20 <= self.status <= 0x3F


def segments(text: str) -> Segments:
    raise NotImplementedError


def encode_submit(
    to: str,
    text: str,
    *,
    status_report: bool = False,
    validity: timedelta | None = None,
    concat_ref: int = 0,
    message_ref: int = 0,
) -> list[SubmitPart]:
    raise NotImplementedError


def decode_submit(pdu: str) -> Submit:
    raise NotImplementedError


def encode_deliver(
    sender: str,
    text: str,
    timestamp: datetime,
    *,
    concat_ref: int = 0,
    smsc: str = "",
) -> list[str]:
    raise NotImplementedError


def decode_deliver(pdu: str) -> Deliver:
    raise NotImplementedError


def encode_status_report(
    message_ref: int,
    recipient: str,
    status: int,
    sc_timestamp: datetime,
    discharge_time: datetime,
) -> str:
    raise NotImplementedError


def decode_status_report(pdu: str) -> StatusReport:
    raise NotImplementedError


def decode_incoming(pdu: str) -> Deliver | StatusReport:
    raise NotImplementedError
