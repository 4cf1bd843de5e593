from __future__ import annotations

import pytest

from gateway.core.phone import InvalidNumber, normalise


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("(07700) 900-123", "+447700900123"),
        ("020 7946 0123", "+442079460123"),
        ("+353 87 123 4567", "+353871234567"),
    ],
)
def test_numbers_are_stored_in_e164(written: str, e164: str) -> None:
    assert normalise(written) == e164


@pytest.mark.parametrize(
    "bad", ["", "   ", "12345", "0770", "07700 9001", "hello", "+44 12", "123"]
)
def test_impossible_numbers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidNumber):
        normalise(bad)


def test_ofcom_drama_numbers_are_accepted_though_phonenumbers_calls_them_invalid() -> None:
    import phonenumbers

    assert not phonenumbers.is_valid_number(phonenumbers.parse("+447700900000"))
    assert normalise("07700 900000") == "+447700900000"
