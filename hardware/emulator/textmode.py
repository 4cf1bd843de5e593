"""Text mode (AT+CMGF=1), for a person at a terminal: the gateway itself speaks PDU mode.

Texts pass through as UTF-8 whatever AT+CSCS says; a person typing into `screen` wants
to read what they typed, not a hex dump of UCS-2.
"""

from __future__ import annotations

from datetime import datetime

from hardware.emulator.replies import CmsRefusal
from hardware.emulator.store import STAT_NAMES, Slot
from hardware.pdu import PduError, StatusReport, decode_incoming, encode_submit

CMS_BAD_TEXT_PARAMETER = 305


def submit_pdu(to: str, text: str) -> tuple[str, int]:
    """The PDU and <length> of a text-mode send; one part only, as on a real modem."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        parts = encode_submit(to, text)
    except PduError:
        raise CmsRefusal(CMS_BAD_TEXT_PARAMETER) from None
    if len(parts) != 1:
        raise CmsRefusal(CMS_BAD_TEXT_PARAMETER)
    return parts[0].pdu, parts[0].tpdu_length


def scts(when: datetime) -> str:
    """27.005 time stamp "yy/MM/dd,hh:mm:ss+zz", zz in quarter hours."""
    offset = when.utcoffset()
    quarters = int(offset.total_seconds() // 900) if offset is not None else 0
    return when.strftime("%y/%m/%d,%H:%M:%S") + f"{quarters:+03d}"


def slot_lines(slot: Slot, prefix: str) -> list[str]:
    """`+CMGL: <index>,"<stat>","<oa>",,"<scts>"` (or +CMGR without the index) and the text.

    A stored status report is one line, 27.005's
    `<stat>,<fo>,<mr>,"<ra>",<tora>,"<scts>","<dt>",<st>`.
    """
    stat = STAT_NAMES[slot.status]
    head = f'{prefix}: {slot.index},"{stat}"' if prefix == "+CMGL" else f'{prefix}: "{stat}"'
    try:
        message = decode_incoming(slot.pdu)
    except PduError:
        return [f'{head},"",,""', ""]
    if isinstance(message, StatusReport):
        r = message
        tora = 145 if r.recipient.startswith("+") else 129
        times = f'"{scts(r.sc_timestamp)}","{scts(r.discharge_time)}"'
        return [f'{head},6,{r.message_ref},"{r.recipient}",{tora},{times},{r.status}']
    return [f'{head},"{message.sender}",,"{scts(message.timestamp)}"', message.text]
