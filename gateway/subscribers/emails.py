"""Email addresses and the channel a subscriber chose (sms, email or both); no database here.

An address is checked strictly, because it goes into an SMTP envelope and a `To:` header:
one address, no spaces, no line breaks, nothing a header could be split or continued on.
It is kept lower-cased, so the same person typed twice is one address and the index on
`subscribers.email` answers an exact lookup.
"""

from __future__ import annotations

import re

from gateway.core.errors import GatewayError

MAX_EMAIL = 254  # RFC 5321's limit on a path, and the column's width
MAX_LOCAL = 64
CHANNELS = ("sms", "email", "both")
BY_EMAIL = ("email", "both")
BY_SMS = ("sms", "both")
# RFC 5322's dot-atom: what a local part may hold without quotes (quoted ones refused).
LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
TOP = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


class InvalidEmail(GatewayError, ValueError):
    """Not one usable email address; the text says what is wrong with it."""


class InvalidChannel(GatewayError, ValueError):
    """Not a channel a subscriber can choose, or one that needs an address they lack."""


def clean_email(text: str) -> str:
    """The address as stored (trimmed, lower-cased, a Unicode domain as IDNA), or
    InvalidEmail saying why not."""
    address = text.strip()
    shown = address if len(address) <= 60 else address[:57] + "..."
    if not address:
        raise InvalidEmail("no email address given")
    if any(c in address for c in "\r\n\x85\u2028\u2029"):
        raise InvalidEmail("an email address cannot contain a line break")
    if any(c.isspace() for c in address):
        raise InvalidEmail(f"{shown!r} is not an email address: it contains a space")
    if any(ord(c) < 32 or ord(c) == 127 for c in address):
        raise InvalidEmail("an email address cannot contain a control character")
    if any(c in address for c in ",;<>"):
        raise InvalidEmail(f"{shown!r} is not one email address: give one, alone")
    if address.count("@") != 1:
        raise InvalidEmail(f"{shown!r} is not an email address: it needs one @")
    local, domain = address.rsplit("@", 1)
    if not local or len(local) > MAX_LOCAL or not LOCAL.fullmatch(local):
        raise InvalidEmail(f"{shown!r} is not an email address: the part before @ is not valid")
    cleaned = f"{local}@{_domain(domain, shown)}".lower()
    if len(cleaned) > MAX_EMAIL:
        raise InvalidEmail(f"an email address is at most {MAX_EMAIL} characters")
    return cleaned


def _domain(text: str, shown: str) -> str:
    try:
        domain = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidEmail(f"{shown!r} is not an email address: its domain is not valid") from None
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidEmail(f"{shown!r} is not an email address: the domain needs a dot")
    if not all(LABEL.fullmatch(label) for label in labels) or not TOP.fullmatch(labels[-1]):
        raise InvalidEmail(f"{shown!r} is not an email address: its domain is not valid")
    return domain


def clean_channel(text: str, email: str | None) -> str:
    """A channel as stored: "email" and "both" need an address to send to."""
    channel = text.strip().lower()
    if channel not in CHANNELS:
        raise InvalidChannel(f"channel must be one of {', '.join(CHANNELS)}, not {text!r}")
    if channel in BY_EMAIL and not email:
        raise InvalidChannel(f"channel {channel} needs an email address")
    return channel


def mask_email(address: str) -> str:
    """`ann.bell@example.org` -> `a***@example.org`: enough to recognise, not to use."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
