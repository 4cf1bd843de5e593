"""What a command handler gives back: lines of information, a prompt, or a refusal.

A handler raises a Refusal instead of returning; the session turns it into the final
result code the client expects (`ERROR`, `+CME ERROR: <n>`, `+CMS ERROR: <n>`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# TS 27.007 section 9.2.1, the text form `AT+CMEE=2` prints. Only the codes we raise.
CME_TEXT = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    16: "incorrect password",
    21: "invalid index",
    24: "text string too long",
    30: "no network service",
    50: "incorrect parameters",
    100: "unknown",
}

# TS 27.005 section 3.2.5, likewise.
CMS_TEXT = {
    1: "unassigned (unallocated) number",
    8: "operator determined barring",
    10: "call barred",
    21: "short message transfer rejected",
    27: "destination out of service",
    38: "network out of order",
    41: "temporary failure",
    42: "congestion",
    47: "resources unavailable, unspecified",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    305: "invalid text mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    316: "SIM PUK required",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    500: "unknown error",
}


class Refusal(Exception):
    """The command failed; `final(cmee)` is the result code line to send."""

    def final(self, cmee: int) -> str:
        return "ERROR"


class PlainError(Refusal):
    """A bare `ERROR`: unknown command or a parameter the modem cannot parse."""


class CmeRefusal(Refusal):
    def __init__(self, code: int) -> None:
        super().__init__(f"+CME ERROR: {code}")
        self.code = code

    def final(self, cmee: int) -> str:
        if cmee == 1:
            return f"+CME ERROR: {self.code}"
        if cmee == 2:
            return f"+CME ERROR: {CME_TEXT.get(self.code, 'unknown')}"
        return "ERROR"


class CmsRefusal(Refusal):
    """SMS commands report `+CMS ERROR` whatever AT+CMEE says, as most modems do."""

    def __init__(self, code: int) -> None:
        super().__init__(f"+CMS ERROR: {code}")
        self.code = code

    def final(self, cmee: int) -> str:
        if cmee == 2:
            return f"+CMS ERROR: {CMS_TEXT.get(self.code, 'unknown error')}"
        return f"+CMS ERROR: {self.code}"


@dataclass(frozen=True)
class Prompt:
    """`AT+CMGS` wants a body: send `> ` and hand what arrives before Ctrl-Z to `complete`.

    `complete` returns the information lines of the answer or raises a Refusal.
    """

    complete: Callable[[str], list[str]]


Reply = list[str] | Prompt
