"""What an unsolicited result code means to the gateway, as a ModemEvent.

AT+CNMI=2,1,0,2,0 asks for `+CMTI: <mem>,<index>` (a message was stored) and for
`+CDS: <length>` followed by the status report's PDU. Modems that refuse ds=2 and store
reports instead say `+CDSI: <mem>,<index>`: that becomes a status-report event with an
index and no PDU, to be read with read_stored.
"""

from __future__ import annotations

import logging

from hardware.at.lines import Urc
from hardware.at.replies import fields
from hardware.modem import ModemEvent

log = logging.getLogger(__name__)

# Radio chatter from Huawei and SIMCom firmware: signal, mode and boot notices that
# arrive every few seconds and mean nothing to an SMS gateway.
NOISE = frozenset(
    {"^RSSI", "^BOOT", "^MODE", "^HCSQ", "^SRVST", "^SIMST", "^DSFLOWRPT", "^SYSSTART",
     "+CIEV", "+PACSP", "+QIND", "+CTZV", "+CTZE", "RDY", "PB DONE", "SMS DONE",
     "Call Ready", "SMS Ready"}
)  # fmt: skip


def event_for(urc: Urc) -> ModemEvent | None:
    """The event for this URC, or None for noise."""
    name = urc.name
    if name in ("+CMTI", "+CDSI"):
        stored = _stored_at(urc.line)
        if stored is None:
            return ModemEvent("other", line=urc.line)
        storage, index = stored
        kind = "message" if name == "+CMTI" else "status-report"
        return ModemEvent(kind, index=index, storage=storage, line=urc.line)
    if name == "+CDS" and urc.pdu:
        return ModemEvent("status-report", pdu=urc.pdu.upper(), line=urc.line)
    if name in NOISE:
        log.debug("modem noise: %s", urc.line)
        return None
    return ModemEvent("other", line=urc.line, pdu=urc.pdu)


def _stored_at(line: str) -> tuple[str, int] | None:
    values = fields(line)
    if len(values) < 2 or not values[1].isdigit():
        log.warning("unreadable notification %r", line)
        return None
    return values[0], int(values[1])
