"""Phone numbers are personal data: logs and viewers see enough to tell them apart, not
to dial them.

One mask everywhere: the country code and the last three digits, a fixed run of stars
between (so the length is hidden too). Every page, answer, log line and report shows
the same digits of a number, so no two views combine into more of it.
"""

from __future__ import annotations

import re

import phonenumbers

KEPT = 3  # last digits shown: with the country code, enough to tell people apart
STARS = "****"
E164 = re.compile(r"\+\d{7,15}")  # how the gateway stores and writes numbers


def mask(number: str) -> str:
    """`+447700900123` -> `+44****123`; anything else keeps only its last 3 characters."""
    tail = number[-KEPT:] if len(number) > 2 * KEPT else ""
    if E164.fullmatch(number):
        try:
            code = phonenumbers.parse(number).country_code
        except phonenumbers.NumberParseException:
            return STARS + tail
        return f"+{code}{STARS}{tail}"
    return STARS + tail


def mask_in_text(text: str) -> str:
    """The gateway's own texts (forwards, notices) with every E.164 number in them masked.
    Texts people wrote are left as written: their digits are plates and grid references
    more often than numbers."""
    return E164.sub(lambda found: mask(found.group()), text)
