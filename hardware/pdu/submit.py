"""SMS-SUBMIT (TS 23.040 9.2.2.2): what the driver hands the modem with AT+CMGS."""

from __future__ import annotations

from datetime import timedelta

from . import address, udh, userdata
from . import validity as relative_vp
from .model import Concat, PduError, Submit, SubmitPart
from .octets import Reader, check_octet, parse_hex
from .segment import segments

MTI_SUBMIT = 0x01
VPF_RELATIVE = 0x10
SRR = 0x20
UDHI = 0x40
_VP_OCTETS = {0x00: 0, 0x08: 7, 0x10: 1, 0x18: 7}  # none, enhanced, relative, absolute


def encode_submit(
    to: str,
    text: str,
    *,
    status_report: bool = False,
    validity: timedelta | None = None,
    concat_ref: int = 0,
    message_ref: int = 0,
) -> list[SubmitPart]:
    """One SMS-SUBMIT per part, split as `segments(text)` says.

    `message_ref` goes into every part; modems replace it with their own TP-MR and
    report that in the +CMGS answer.
    """
    check_octet(concat_ref, "concatenation reference")
    check_octet(message_ref, "message reference")
    destination = address.encode_number(to, "destination")
    plan = segments(text)
    first = MTI_SUBMIT | (SRR if status_report else 0)
    vp = b""
    if validity is not None:
        first |= VPF_RELATIVE
        vp = bytes([_validity_octet(validity)])
    head = bytes([message_ref]) + destination + bytes([0x00, userdata.DCS[plan.encoding]]) + vp
    parts: list[SubmitPart] = []
    for number, part_text in enumerate(plan.texts, start=1):
        concat = Concat(concat_ref, number, plan.parts) if plan.parts > 1 else None
        header = udh.concat_header(concat) if concat else b""
        tpdu = (
            bytes([first | (UDHI if header else 0)])
            + head
            + userdata.encode(part_text, plan.encoding, header)
        )
        parts.append(SubmitPart("00" + tpdu.hex().upper(), len(tpdu), part_text, concat))
    return parts


def _validity_octet(period: timedelta) -> int:
    if not isinstance(period, timedelta):
        raise PduError(f"validity must be a timedelta, not {type(period).__name__}")
    return relative_vp.encode(period)


def decode_submit(pdu: str) -> Submit:
    """An SMS-SUBMIT as the modem was given it (SMSC octets first)."""
    reader = Reader(parse_hex(pdu))
    address.read_smsc(reader)
    first = reader.octet("first octet")
    if first & 0x03 != MTI_SUBMIT:
        raise PduError(f"TP-MTI {first & 0x03} is not SMS-SUBMIT")
    message_ref = reader.octet("message reference")
    to, _ = address.read_address(reader, "destination address")
    reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme")
    vpf = first & 0x18
    vp = reader.take(_VP_OCTETS[vpf], "validity period")
    data = userdata.read(reader, dcs, bool(first & UDHI))
    return Submit(
        to=to,
        text=data.text,
        encoding=data.encoding,
        concat=data.concat,
        message_ref=message_ref,
        status_report=bool(first & SRR),
        validity=relative_vp.decode(vp[0]) if vpf == VPF_RELATIVE else None,
    )
