"""Where a text is split: the one place that decides encoding and part boundaries.

A single SMS carries 140 octets: 160 GSM septets or 70 UTF-16 units. Once a text needs
more, every part gives up 6 octets to the concatenation header (IEI 00), leaving 153
septets or 67 units. Splitting never separates an escape from its character nor the two
halves of a surrogate pair: either would reach the phone as garbage.
"""

from __future__ import annotations

from functools import lru_cache

from . import gsm7, ucs2
from .model import Encoding, PduError, Segments

MAX_PARTS = 255  # the part counter in the concatenation header is one octet
LIMITS: dict[Encoding, tuple[int, int]] = {"gsm7": (160, 153), "ucs2": (70, 67)}


def segments(text: str) -> Segments:
    """Encoding, size and parts of `text`; raises PduError beyond 255 parts."""
    if not isinstance(text, str):
        raise PduError(f"text must be a str, not {type(text).__name__}")
    return _segments(text)


@lru_cache(maxsize=128)
def _segments(text: str) -> Segments:
    if gsm7.is_gsm(text):
        encoding: Encoding = "gsm7"
        units = gsm7.septet_count(text)
    else:
        encoding = "ucs2"
        units = ucs2.unit_count(text)
    single, multi = LIMITS[encoding]
    texts = (text,) if units <= single else _split(text, encoding, multi)
    if len(texts) > MAX_PARTS:
        raise PduError(f"text needs {len(texts)} parts; at most {MAX_PARTS} can be joined")
    return Segments(encoding=encoding, units=units, parts=len(texts), texts=texts)


def _split(text: str, encoding: Encoding, limit: int) -> tuple[str, ...]:
    cost = gsm7.COST if encoding == "gsm7" else None
    parts: list[str] = []
    start = used = 0
    for index, ch in enumerate(text):
        size = cost[ch] if cost is not None else 1 + ucs2.is_astral(ch)
        if used + size > limit:
            parts.append(text[start:index])
            start, used = index, 0
        used += size
    parts.append(text[start:])
    return tuple(parts)
