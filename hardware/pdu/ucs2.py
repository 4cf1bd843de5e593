"""UCS-2 user data, sent as UTF-16 big-endian so emoji travel as surrogate pairs."""

from __future__ import annotations

import re

from .model import PduError

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def unit_count(text: str) -> int:
    """UTF-16 code units: characters beyond the BMP (most emoji) take two."""
    return len(text) + len(_ASTRAL.findall(text))


def is_astral(ch: str) -> bool:
    return ord(ch) > 0xFFFF


def encode(text: str) -> bytes:
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:  # a lone surrogate in the text
        raise PduError(f"text cannot be sent as UTF-16: {exc.reason}") from exc


def decode(octets: bytes) -> str:
    """A lone surrogate (another sender split a pair across parts) becomes U+FFFD rather
    than a string that fails later when it is stored or logged as UTF-8."""
    if len(octets) % 2:
        raise PduError(f"UCS-2 user data has an odd length ({len(octets)} octets)")
    return octets.decode("utf-16-be", errors="replace")
