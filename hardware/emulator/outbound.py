"""What happens to a PDU handed to AT+CMGS: checked, decoded, recorded, logged.

The log is the emulator's view of "the network": one JSON object per accepted part, one
per line, flushed at once so a test or a benchmark can tail it while messages flow.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hardware.emulator.replies import CmsRefusal
from hardware.pdu import Concat, Encoding, PduError, decode_submit

CMS_INVALID_PDU = 304


@dataclass(frozen=True)
class SubmittedPart:
    """One SMS-SUBMIT the emulator accepted, as the network would have seen it."""

    at: datetime
    to: str
    text: str
    pdu: str  # hex as the client sent it, SMSC octets first
    message_ref: int  # the TP-MR the emulator answered with (+CMGS: <mr>)
    concat: Concat | None
    encoding: Encoding
    status_report: bool

    @property
    def ref(self) -> int | None:
        return self.concat.ref if self.concat else None

    @property
    def part(self) -> int | None:
        return self.concat.part if self.concat else None

    @property
    def parts(self) -> int | None:
        return self.concat.parts if self.concat else None

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="milliseconds"),
            "to": self.to,
            "text": self.text,
            "pdu": self.pdu,
            "ref": self.ref,
            "part": self.part,
            "parts": self.parts,
        }


def tpdu_length(pdu: str) -> int:
    """Octets after the SMSC information: what AT+CMGS=<length> counts. Raises PduError."""
    try:
        data = bytes.fromhex(pdu)
    except ValueError as exc:
        raise PduError(f"not hex: {exc}") from None
    if not data:
        raise PduError("empty PDU")
    return len(data) - 1 - data[0]


def accept_submit(pdu: str, declared_length: int, message_ref: int) -> SubmittedPart:
    """Check and decode a PDU typed after the `> ` prompt; CmsRefusal(304) if it is bad.

    A modem checks <length> against what arrived, so a client that counts the SMSC
    octets (a classic mistake) is refused here just as a real one would be.
    """
    cleaned = "".join(pdu.split()).upper()
    try:
        if tpdu_length(cleaned) != declared_length:
            raise PduError(f"length {declared_length} declared, {tpdu_length(cleaned)} sent")
        submit = decode_submit(cleaned)
    except PduError as exc:
        raise CmsRefusal(CMS_INVALID_PDU) from exc
    return SubmittedPart(
        at=datetime.now().astimezone(),
        to=submit.to,
        text=submit.text,
        pdu=cleaned,
        message_ref=message_ref,
        concat=submit.concat,
        encoding=submit.encoding,
        status_report=submit.status_report,
    )


class SendLog:
    """Appends one JSON line per part; reopened per line so logrotate and `rm` are harmless."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def check(self) -> None:
        """Create the file now: a bad path fails at start, not at the first send."""
        if self.path is not None:
            with self.path.open("a", encoding="utf-8"):
                pass

    def write(self, part: SubmittedPart) -> None:
        if self.path is None:
            return
        line = json.dumps(part.as_json(), ensure_ascii=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
