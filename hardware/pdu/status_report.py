"""SMS-STATUS-REPORT (TS 23.040 9.2.2.3): the network's word on a message we sent."""

from __future__ import annotations

from datetime import datetime

from . import address, timestamp
from .model import PduError, StatusReport
from .octets import Reader, check_octet, parse_hex

MTI_STATUS_REPORT = 0x02
NO_MORE_MESSAGES = 0x04


def encode_status_report(
    message_ref: int,
    recipient: str,
    status: int,
    sc_timestamp: datetime,
    discharge_time: datetime,
) -> str:
    """A status report as a modem shows it in +CDS (default SMSC, no optional fields)."""
    tpdu = (
        bytes([MTI_STATUS_REPORT | NO_MORE_MESSAGES, check_octet(message_ref, "message reference")])
        + address.encode_number(recipient, "recipient")
        + timestamp.encode(sc_timestamp)
        + timestamp.encode(discharge_time)
        + bytes([check_octet(status, "status")])
    )
    return "00" + tpdu.hex().upper()


def decode_status_report(pdu: str) -> StatusReport:
    """A status report (SMSC octets first); the optional fields after TP-ST are ignored."""
    reader = Reader(parse_hex(pdu))
    address.read_smsc(reader)
    return read_status_report(reader)


def read_status_report(reader: Reader) -> StatusReport:
    first = reader.octet("first octet")
    if first & 0x03 != MTI_STATUS_REPORT:
        raise PduError(f"TP-MTI {first & 0x03} is not SMS-STATUS-REPORT")
    message_ref = reader.octet("message reference")
    recipient, _ = address.read_address(reader, "recipient address")
    sc_timestamp = timestamp.read(reader, "service-centre time stamp")
    discharge_time = timestamp.read(reader, "discharge time")
    status = reader.octet("status")
    return StatusReport(message_ref, recipient, sc_timestamp, discharge_time, status)
