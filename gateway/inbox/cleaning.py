"""What of a received text may be written, and the digest that knows a part read twice.

Two things are done to a text before it is written. What no database can hold is
replaced (PostgreSQL takes no NUL in text; no database takes half a UTF-16 surrogate
pair), and the message says so. And an officer's PIN is taken out
(gateway.inbox.officer_words): `RELAY S1042 DOCKING 4821` is stored as
`RELAY S1042 DOCKING ****`. The PIN must be in no stored text, no raw PDU and no digest:
from a stored text and the hash of the text it came from, the 10,000 four-digit PINs
give the PIN back in a moment. So a part's digest is of the text as received, unless
redaction changed it; then it is of what is stored, marked so that no received text
hashes the same.

A text in several parts is redacted as a whole once complete (a command padded out may
have its PIN in the second part, or split over two). Then the first part holds the
whole redacted text, the others nothing, and each part's digest is of what it holds and
its row id. A second read of such a part (a SIM delete that failed) no longer matches
its digest: the inbox knows it by its place in the text and that mark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.inbox.officer_words import redact

_NUL = "\u2400"  # SYMBOL FOR NULL: shows where the sender's phone put a NUL
_REDACTED = "\x00redacted\x00"  # no received text starts so: a phone sends no NUL first


@dataclass(frozen=True)
class Cleaned:
    """A received part as it may be stored."""

    text: str
    pin: str  # the PIN taken out: in memory only
    replaced: int  # characters the database could not hold
    redacted: bool  # a PIN, or numbers that could be one, masked
    digest: str


def storable(text: str) -> tuple[str, int]:
    """The text with what no database can hold replaced, and how many were replaced:
    NUL becomes a visible symbol, a lone surrogate U+FFFD."""
    out = []
    changed = 0
    for ch in text:
        if ch == "\x00":
            out.append(_NUL)
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")
        else:
            out.append(ch)
            continue
        changed += 1
    return ("".join(out), changed) if changed else (text, 0)


def digest(text: str) -> str:
    """Of a text as received: two different texts sent within one second both count."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def redacted_digest(stored: str, row: int | None = None) -> str:
    """Of a stored text that redaction changed; with `row`, of a part rewritten once its
    whole text was redacted (the row id keeps two such parts at one place apart)."""
    return digest(_REDACTED + stored + ("" if row is None else f"\x00{row}"))


def clean(text: str) -> Cleaned:
    """One part, or a single-part text, as it may be stored."""
    safe, replaced = storable(text)
    stored, pin = redact(safe)
    redacted = stored != safe
    return Cleaned(
        stored, pin, replaced, redacted, redacted_digest(stored) if redacted else digest(text)
    )


def rewritten_parts(whole: str, rows: Sequence[int]) -> list[tuple[int, str, str]]:
    """(row id, text, digest) of each part of a text whose whole was redacted, `rows` in
    the order of their part numbers: the first holds the whole, the others nothing."""
    texts = [whole, *[""] * (len(rows) - 1)]
    return [(row, text, redacted_digest(text, row)) for row, text in zip(rows, texts, strict=True)]


def is_rewritten(text: str, part_digest: str, row: int) -> bool:
    """Whether this stored part was rewritten by `rewritten_parts`."""
    return part_digest == redacted_digest(text, row)
