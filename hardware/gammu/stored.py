"""gammu's message dicts as the Modem interface wants them: raw hex PDUs.

The raw PDU comes from gammu's debug log (tap.py), exactly as AT+CMGL / AT+CMGR gave it,
because gammu's decoded dicts do not keep the text exact. Measured with libgammu 1.45:
- GSM 7-bit text with extension characters (€ [ ] { } ~ ^ | \\) comes back padded to the
  septet count with stale buffer bytes ("... €\\x00ng lo");
- in a concatenated UCS-2 part every "~" comes back as "~~", and the part loses as many
  characters at its end;
- gammu.EncodePDU, the other way back to hex, sends "~" as U+0001 in UCS-2.
Only when the log has no PDU for a message (another gammu version's log format, a
text-mode-only modem) is one rebuilt from the dict with our own encoder, and that is
logged: the text then carries gammu's decoding, repaired where it can be.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import gammu

from hardware.gammu.tap import RawStored
from hardware.modem import StoredPdu
from hardware.pdu import (
    Concat,
    Deliver,
    PduError,
    address,
    decode_incoming,
    encode_status_report,
    udh,
    userdata,
)
from hardware.pdu import timestamp as scts
from hardware.pdu.gsm7 import is_gsm, septet_count
from hardware.pdu.model import Encoding

log = logging.getLogger(__name__)

# gammu numbers a flat (Folder 0) store as (folder - 1) * GSM_PHONE_MAXSMSINFOLDER + index,
# so "SM" index 3 is Location 3 and, with both stores present, "ME" index 3 is 100003.
FOLDER_SPAN = 100_000
MTI_DELIVER_NO_MORE = 0x04  # SMS-DELIVER, TP-MMS set: nothing else waiting
UDHI = 0x40
CODINGS: dict[str, Encoding] = {
    "Default_No_Compression": "gsm7",
    "Unicode_No_Compression": "ucs2",
    "8bit": "8bit",
}

Sms = dict[str, Any]


def list_all(sm: Any) -> list[Sms]:
    """Every stored message, walking gammu's flat folder (Folder 0) by Location."""
    found: list[Sms] = []
    seen: set[int] = set()
    try:
        batch = sm.GetNextSMS(Folder=0, Start=True)
        while batch and int(batch[0]["Location"]) not in seen:  # a looping modem: stop
            found.extend(batch)
            location = int(batch[0]["Location"])
            seen.add(location)
            batch = sm.GetNextSMS(Folder=0, Location=location)
    except gammu.ERR_EMPTY:  # the end of the list
        pass
    return found


def modem_index(location: int) -> int:
    return location % FOLDER_SPAN


def to_stored(sms: Sms, raw: list[RawStored]) -> StoredPdu:
    """The StoredPdu for one gammu message dict, its index being gammu's Location."""
    location = int(sms["Location"])
    status = 0 if sms.get("State") == "UnRead" else 1
    found = _find(raw, str(sms.get("Memory") or ""), modem_index(location))
    if found is not None and _same_sender(found.pdu, sms):
        return StoredPdu(location, found.pdu, found.status)
    log.warning("no raw PDU in gammu's log for location %s; rebuilt from its decoding", location)
    try:
        return StoredPdu(location, rebuild(sms), status)
    except PduError as exc:
        # An empty PDU reaches the inbox as undecodable, which records it, rather than
        # leaving it on the SIM to be read again forever.
        log.error("location %s cannot be rebuilt (%s): %r", location, exc, sms)
        return StoredPdu(location, "", status)


def _find(raw: list[RawStored], memory: str, index: int) -> RawStored | None:
    exact = [r for r in raw if r.index == index and r.memory == memory]
    loose = [r for r in raw if r.index == index and "" in (r.memory, memory)]
    found = exact or loose
    return found[-1] if found else None


def _same_sender(pdu: str, sms: Sms) -> bool:
    """A guard on the location mapping: the logged PDU must be the message gammu read."""
    try:
        decoded = decode_incoming(pdu)
    except PduError:
        return False
    who = decoded.sender if isinstance(decoded, Deliver) else decoded.recipient
    return who == str(sms.get("Number", ""))


def rebuild(sms: Sms) -> str:
    """A hex PDU (SMSC octets first) from a gammu dict, with our encoder. Raises PduError."""
    if sms.get("Type") == "Status_Report":
        return encode_status_report(
            int(sms.get("MessageReference", 0)) & 0xFF,
            str(sms["Number"]),
            int(sms.get("DeliveryStatus", 0)) & 0xFF,
            _aware(sms.get("SMSCDateTime")),
            _aware(sms.get("DateTime")),
        )
    encoding = CODINGS.get(str(sms.get("Coding")), "gsm7")
    text = repaired_text(sms)
    if encoding == "gsm7" and not is_gsm(text):
        encoding = "ucs2"
    concat = concat_of(sms.get("UDH") or {})
    header = udh.concat_header(concat) if concat else b""
    if encoding == "8bit":
        data = text.encode("latin-1", "replace")
        body = bytes([len(header) + len(data)]) + header + data
    else:
        body = userdata.encode(text, encoding, header)
    tpdu = (
        bytes([MTI_DELIVER_NO_MORE | (UDHI if header else 0)])
        + address.encode_originator(str(sms["Number"]))
        + bytes([0x00, userdata.DCS[encoding]])
        + scts.encode(_aware(sms.get("DateTime")))
        + body
    )
    smsc = str((sms.get("SMSC") or {}).get("Number") or "")
    return address.encode_smsc(smsc).hex().upper() + tpdu.hex().upper()


def repaired_text(sms: Sms) -> str:
    """gammu's text; GSM 7-bit cut to the septet count its Length gives (stale bytes go)."""
    text = str(sms.get("Text", ""))
    if sms.get("Coding") != "Default_No_Compression":
        return text
    length = int(sms.get("Length", len(text)))
    for end in range(len(text) + 1):
        if septet_count(text[:end]) >= length:
            return text[:end]
    return text


def concat_of(header: dict[str, Any]) -> Concat | None:
    kind = header.get("Type", "")
    parts, part = int(header.get("AllParts", 0)), int(header.get("PartNumber", 0))
    if not kind.startswith("ConcatenatedMessages") or not 1 <= part <= parts:
        return None
    if kind.endswith("16bit"):
        return Concat(int(header.get("ID16bit", 0)) & 0xFFFF, part, parts, ref_bits=16)
    return Concat(int(header.get("ID8bit", 0)) & 0xFF, part, parts)


def _aware(value: object) -> datetime:
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
