"""What an officer's text asks for (ACK, CLOSE, RELAY), and the same text with its PIN
taken out, which is all the database ever holds of it.

Pure text in and out, so the inbox can redact before it writes (gateway.inbox.cleaning
imports this, not the desk, which needs the database). A text is a command only when it is
the verb and the few short words it takes. One that reads like a command but is not (the
verb, then a sighting reference or a number, then more words) is a report stored with its
4-8 digit numbers masked; "Close to the wood at TF 8123 4012" is a farmer's report, kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERBS = frozenset({"ACK", "CLOSE", "RELAY"})
PIN_VERBS = frozenset({"CLOSE", "RELAY"})  # what a spoofed sender must not be able to do
PIN_MASK = "****"  # what is stored for a PIN: four stars whatever its length
_REF = re.compile(r"S\d+", re.IGNORECASE)
_LIST = re.compile(r"[A-Z0-9_-]{2,20}", re.IGNORECASE)
_PIN = re.compile(r"\d{4,8}")
_TOKEN = re.compile(r"\S+")
_DIGITS = re.compile(r"(?<![\w*])\d{4,8}(?!\w)")  # a number standing alone, like a PIN
_TRAILING = re.compile(r"[^\w]+$")  # "CLOSE:", "Relay," and "ack!" are the verb too


@dataclass(frozen=True)
class OperatorCommand:
    verb: str
    ref: str = ""
    list_keyword: str = ""
    pin: str = ""  # as typed, or PIN_MASK once the text has been stored


def parse(text: str) -> OperatorCommand | None:
    """The command: the verb, then in this order an optional reference, list keyword and
    PIN, with trailing dots or bangs tolerated; anything else makes it not a command."""
    words = text.strip().rstrip(".! \t\r\n").split()
    if not words or words[0].upper() not in VERBS:
        return None
    verb, rest = words[0].upper(), words[1:]
    ref = rest.pop(0).upper() if rest and _REF.fullmatch(rest[0]) else ""
    keyword = ""
    if rest and _LIST.fullmatch(rest[0]) and not _PIN.fullmatch(rest[0]):
        keyword = rest.pop(0).upper()
    pin = rest.pop(0) if rest and (_PIN.fullmatch(rest[0]) or rest[0] == PIN_MASK) else ""
    return None if rest else OperatorCommand(verb, ref, keyword, pin)


def reads_like_a_command(text: str) -> bool:
    """Whether the text may carry a PIN though it is no command: any text that starts with
    RELAY (an officer's words in the wrong order, "RELAY DOCKING S1001 4821"), and ACK or
    CLOSE followed by a sighting reference or a number ("CLOSE: S1001 4821", "ACK S1001
    4821 ta", "CLOSE 4821 thanks"). A farmer's "Close to the wood at TF 8123 4012" does
    not, and keeps its grid reference."""
    words = [_TRAILING.sub("", w) for w in text.split(maxsplit=2)[:2]]
    if not words or words[0].upper() not in VERBS:
        return False
    if words[0].upper() == "RELAY":
        return True  # no farmer starts a report with it; an officer's PIN may follow
    return len(words) == 2 and bool(_REF.fullmatch(words[1]) or _PIN.fullmatch(words[1]))


def mask_numbers(text: str) -> str:
    """Every number of 4-8 digits standing alone masked: one of them is likely a PIN."""
    return _DIGITS.sub(PIN_MASK, text)


def redact(text: str) -> tuple[str, str]:
    """The text as it may be stored, and the PIN taken out of it ("" when it has none).

    A command loses its PIN. A text that reads like a command but is none (words after
    the PIN, a colon after the verb) is a report, kept with every number of 4-8 digits
    masked, as one of them is likely the PIN. Any other report keeps its numbers."""
    command = parse(text)
    if command is None:
        return (mask_numbers(text), "") if reads_like_a_command(text) else (text, "")
    if not command.pin or command.pin == PIN_MASK:
        return text, ""
    last = list(_TOKEN.finditer(text))
    for token in reversed(last):  # the PIN is the last word, perhaps with a dot after it
        if token.group().rstrip(".!") == command.pin:
            masked = token.group().replace(command.pin, PIN_MASK, 1)
            return text[: token.start()] + masked + text[token.end() :], command.pin
    return text, ""  # not reached: parse found the PIN among these words


@dataclass(frozen=True)
class PatrolCheckIn:
    """`PATROL <CODE> <notes>`: the code as typed in upper case ("" when missing)."""

    code: str
    notes: str = ""


def parse_patrol(text: str) -> PatrolCheckIn | None:
    """A check-in when the text starts with the word PATROL ("Patrol: gate7, 2 men" too),
    else None. The QR code's SMS reads "PATROL <CODE> ", so the code is the next word."""
    words = text.strip().split(maxsplit=2)
    if not words or _TRAILING.sub("", words[0]).upper() != "PATROL":
        return None
    code = _TRAILING.sub("", words[1]).upper() if len(words) > 1 else ""
    return PatrolCheckIn(code, words[2].strip() if len(words) > 2 else "")
