"""What a modem's message store holds: DELIVER or STATUS-REPORT, told apart by TP-MTI."""

from __future__ import annotations

from . import address
from .deliver import MTI_DELIVER, read_deliver
from .model import Deliver, PduError, StatusReport
from .octets import Reader, parse_hex
from .status_report import MTI_STATUS_REPORT, read_status_report

_MTI_NAMES = {1: "SMS-SUBMIT (a sent message kept in the store)", 3: "reserved"}


def decode_incoming(pdu: str) -> Deliver | StatusReport:
    reader = Reader(parse_hex(pdu))
    smsc = address.read_smsc(reader)
    mti = reader.peek("first octet") & 0x03
    if mti == MTI_DELIVER:
        return read_deliver(reader, smsc)
    if mti == MTI_STATUS_REPORT:
        return read_status_report(reader)
    raise PduError(f"TP-MTI {mti} is {_MTI_NAMES[mti]}, not an incoming message")
