"""Phone numbers in E.164, the one form the database holds.

phonenumbers' is_valid_number rejects Ofcom's drama range (07700 900xxx) that tests and
demos must use, so a number is accepted when it is *possible* for its region.
"""

from __future__ import annotations

import phonenumbers

from gateway.core.errors import GatewayError

KEEPS_LEADING_ZERO = frozenset({"IT", "SM", "VA"})
TEXTABLE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


class InvalidNumber(GatewayError, ValueError):
    """A phone number that cannot be a mobile or landline number."""


def normalise(number: str, region: str = "GB") -> str:
    """Return `number` as E.164 (`+447700900123`), reading national forms in `region`."""
    text = number.strip()
    if not text:
        raise InvalidNumber("empty phone number")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"{number!r} is not a phone number ({exc})") from None
    # Possible as a mobile or a landline (UK landlines take texts as speech): that
    # refuses local-only and cut-short numbers ("+44 7700 900") while accepting every
    # Ofcom drama number. A kept leading zero outside the countries that keep one also
    # means the number was cut short.
    possible = any(
        phonenumbers.is_possible_number_for_type_with_reason(parsed, kind)
        == phonenumbers.ValidationResult.IS_POSSIBLE
        for kind in TEXTABLE
    )
    kept_zero = (
        parsed.italian_leading_zero
        and phonenumbers.region_code_for_number(parsed) not in KEEPS_LEADING_ZERO
    )
    if not possible or kept_zero:
        raise InvalidNumber(f"{number!r} is not a possible number for region {region}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
