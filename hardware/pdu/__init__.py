"""SMS PDU codec (3GPP TS 23.040, alphabet TS 23.038).

Directions, as the names say:
- encode_submit / decode_submit: SMS-SUBMIT (phone -> network). The driver encodes, the
  emulator decodes what it was given.
- encode_deliver / decode_deliver: SMS-DELIVER (network -> phone). The emulator encodes
  what it injects, the driver decodes what it reads.
- encode_status_report / decode_status_report: SMS-STATUS-REPORT (network -> phone).
- decode_incoming(hex): DELIVER or STATUS-REPORT by the TP-MTI, as a modem store holds both.
- segments(text): how a text will be split and encoded; the encoders split exactly so.

Every hex PDU here starts with the SMSC information (a length octet; "00" means the
modem's default service centre), as AT+CMGS, AT+CMGL and AT+CMGR use them.
Malformed input raises PduError and nothing else; so does a value that cannot be encoded
(a bad number, a naive datetime, a text of more than 255 parts).
"""

from __future__ import annotations

from .deliver import decode_deliver, encode_deliver
from .incoming import decode_incoming
from .model import (
    Concat,
    Deliver,
    Encoding,
    PduError,
    Segments,
    SenderType,
    StatusReport,
    Submit,
    SubmitPart,
)
from .segment import MAX_PARTS, segments
from .status_report import decode_status_report, encode_status_report
from .submit import decode_submit, encode_submit

__all__ = [
    "MAX_PARTS",
    "Concat",
    "Deliver",
    "Encoding",
    "PduError",
    "Segments",
    "SenderType",
    "StatusReport",
    "Submit",
    "SubmitPart",
    "decode_deliver",
    "decode_incoming",
    "decode_status_report",
    "decode_submit",
    "encode_deliver",
    "encode_status_report",
    "encode_submit",
    "segments",
]
