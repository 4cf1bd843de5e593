"""SMS-DELIVER (TS 23.040 9.2.2.1): a message from the network to the phone."""

from __future__ import annotations

from datetime import datetime

from . import address, udh, userdata
from . import timestamp as scts
from .model import Concat, Deliver, PduError
from .octets import Reader, check_octet, parse_hex
from .segment import segments
from .submit import UDHI

MTI_DELIVER = 0x00
NO_MORE_MESSAGES = 0x04  # TP-MMS is inverted: set means nothing else is waiting


def encode_deliver(
    sender: str,
    text: str,
    timestamp: datetime,
    *,
    concat_ref: int = 0,
    smsc: str = "",
) -> list[str]:
    """One SMS-DELIVER hex PDU per part, split exactly as `encode_submit` splits."""
    check_octet(concat_ref, "concatenation reference")
    head = address.encode_originator(sender)
    stamp = scts.encode(timestamp)
    smsc_hex = address.encode_smsc(smsc).hex().upper()
    plan = segments(text)
    middle = head + bytes([0x00, userdata.DCS[plan.encoding]]) + stamp
    pdus: list[str] = []
    for number, part_text in enumerate(plan.texts, start=1):
        concat = Concat(concat_ref, number, plan.parts) if plan.parts > 1 else None
        header = udh.concat_header(concat) if concat else b""
        first = MTI_DELIVER | NO_MORE_MESSAGES | (UDHI if header else 0)
        tpdu = bytes([first]) + middle + userdata.encode(part_text, plan.encoding, header)
        pdus.append(smsc_hex + tpdu.hex().upper())
    return pdus


def decode_deliver(pdu: str) -> Deliver:
    """An SMS-DELIVER as AT+CMGR / AT+CMGL / +CMT give it (SMSC octets first)."""
    reader = Reader(parse_hex(pdu))
    smsc = address.read_smsc(reader)
    return read_deliver(reader, smsc)


def read_deliver(reader: Reader, smsc: str) -> Deliver:
    first = reader.octet("first octet")
    if first & 0x03 != MTI_DELIVER:
        raise PduError(f"TP-MTI {first & 0x03} is not SMS-DELIVER")
    sender, sender_type = address.read_address(reader, "originating address")
    reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme")
    stamp = scts.read(reader, "service-centre time stamp")
    data = userdata.read(reader, dcs, bool(first & UDHI))
    return Deliver(
        sender=sender,
        sender_type=sender_type,
        smsc=smsc,
        timestamp=stamp,
        text=data.text,
        encoding=data.encoding,
        concat=data.concat,
        data=data.data,
    )
