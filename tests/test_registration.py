"""UK registrations: normalising one plate, and finding plates in a sighting's text.

The finder's table matters most in its non-plates: a road number, a postcode, a time or a
car model read as a plate would send officers after a vehicle that does not exist.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sightings.plates import Plate, find_registrations, normalise_registration

NORMALISE: list[tuple[str, str | None]] = [
    # current (2001-): two letters, two digits, three letters
    ("KX19ABC", "KX19 ABC"),
    ("kx19abc", "KX19 ABC"),
    ("KX19 ABC", "KX19 ABC"),
    ("  kx19   abc ", "KX19 ABC"),
    ("KX 19 ABC", "KX19 ABC"),
    ("kx19-abc", "KX19 ABC"),
    ("K X 1 9 A B C", "KX19 ABC"),
    ("KX19\u00a0ABC", "KX19 ABC"),
    ("WU62 XYZ", "WU62 XYZ"),
    ("AB02 CDE", "AB02 CDE"),  # the age identifier keeps its leading zero
    # prefix (1983-2001): year letter, 1-3 digits, three letters
    ("A123BCD", "A123 BCD"),
    ("a1bcd", "A1 BCD"),
    ("P45 XYZ", "P45 XYZ"),
    ("Q123 ABC", "Q123 ABC"),  # Q plates share the shape
    # suffix (1963-1983): three letters, 1-3 digits, year letter
    ("ABC123D", "ABC 123D"),
    ("abc 1d", "ABC 1D"),
    ("XYZ 45-T", "XYZ 45T"),
    # dateless: 1-3 letters and 1-4 digits, either way round
    ("1 ABC", "1 ABC"),
    ("ABC 1", "ABC 1"),
    ("1234 AB", "1234 AB"),
    ("AB 1234", "AB 1234"),
    ("A1", "A 1"),
    ("9999z", "9999 Z"),
    # Northern Irish: three letters with I or Z, then up to four digits
    ("ABZ 1234", "ABZ 1234"),
    ("abz123", "ABZ 123"),
    ("IAZ 1", "IAZ 1"),
    ("LIZ 12", "LIZ 12"),
    # not plates
    ("", None),
    ("   ", None),
    ("ABC", None),
    ("123", None),
    ("KX19ABCD", None),  # one letter too many
    ("KX1ABCD", None),
    ("A0BCD", None),  # number groups never start with 0
    ("ABC 012D", None),
    ("0123 AB", None),
    ("AB 12345", None),
    ("ABCD 123", None),
    ("KX19 ÄBC", None),
    ("ß", None),  # upper-cases to "SS": must not become letters
    ("KX19.ABC", None),
    ("KX19_ABC", None),
    ("PE31 8AB", None),  # a postcode
    ("22:30", None),
    ("4x4", None),
    ("A1(M)", None),
    ("KX19 ABC!", None),
    ("KX19\nABC", "KX19 ABC"),  # a line break is blank space like any other
    ("KX19 ABC?", None),
    ("WU62 X??", None),  # a partial plate is not a whole one
    ("1", None),
    ("A", None),
]


@pytest.mark.parametrize(("text", "expected"), NORMALISE)
def test_normalise_registration(text: str, expected: str | None) -> None:
    assert normalise_registration(text) == expected


def P(normalised: str, fmt: str, partial: bool = False) -> tuple[str, bool, str]:
    return (normalised, partial, fmt)


FIND: list[tuple[str, list[tuple[str, bool, str]]]] = [
    # plates in sightings, however written
    ("silver subaru kx19abc heading to docking", [P("KX19 ABC", "current")]),
    ("White Hilux AB12 CDE at the gate", [P("AB12 CDE", "current")]),
    ("SILVER HILUX KX19ABC SEEN AT 2230 ON B1153 3 MEN", [P("KX19 ABC", "current")]),
    ("blue van kx19-abc parked up", [P("KX19 ABC", "current")]),
    ("Land Rover S123 ABC in the yard", [P("S123 ABC", "prefix")]),
    ("old tractor abc 123d on the verge", [P("ABC 123D", "suffix")]),
    ("two vans KX19ABC and AB12CDE", [P("KX19 ABC", "current"), P("AB12 CDE", "current")]),
    ("(KX19ABC) again", [P("KX19 ABC", "current")]),
    ("was it KX19ABC?", [P("KX19 ABC", "current")]),
    ("KX 19 ABC by the church", [P("KX19 ABC", "current")]),
    ("old ABZ 1234 tractor", [P("ABZ 1234", "northern_irish")]),
    # dateless plates count only after a word that says so
    ("reg AB 1234", [P("AB 1234", "dateless")]),
    ("plate 1 ABC, black Range Rover", [P("1 ABC", "dateless")]),
    ("reg no. AB 1234", [P("AB 1234", "dateless")]),
    ("Registration: M1 KEY", [P("M1 KEY", "prefix")]),  # a word-like plate, said to be one
    ("number plate KX19ABC", [P("KX19 ABC", "current")]),
    # partial plates stay partial
    ("reg starts YR68", [P("YR68", "current", True)]),
    ("reg starts with yr68 ab", [P("YR68 AB", "current", True)]),
    ("partial plate WU62 X??", [P("WU62 X??", "current", True)]),
    ("van WU62 *** seen twice", [P("WU62 ???", "current", True)]),
    ("car ?X19 ABC", [P("?X19 ABC", "current", True)]),
    ("YR68... silver van", [P("YR68", "current", True)]),
    ("reg YR68, didn't get the rest", [P("YR68", "current", True)]),
    ("reg starts YR68 a silver van", [P("YR68", "current", True)]),
    ("part reg WU62", [P("WU62", "current", True)]),
    ("number plate starts KX19", [P("KX19", "current", True)]),
    # not plates: roads, postcodes, times, counts, models, names, dates, numbers
    ("take the A149 and head north", []),
    ("on the B1153 near Docking", []),
    ("the A1 and A17", []),
    ("M11 JCT 9 southbound", []),
    ("near PE31 8AB", []),
    ("postcode NR21 9SH", []),
    ("at 22:30 tonight", []),
    ("ON 19 MAY AT 10 PM", []),
    ("seen on 19 may", []),
    ("3 men in a 4x4", []),
    ("4x4 with 3 men, BMW 320d", []),
    ("Audi A4 TDI seen", []),
    ("Volvo XC60 red", []),
    ("Mitsubishi L200 reg unknown", []),
    ("RAV4 parked", []),
    ("Golf GTI 2 doors", []),
    ("Liz 2023 says hi", []),
    ("PC 1234 attended", []),
    ("Unit 4B", []),
    ("grid ref TF 123 456", []),
    ("call 07700 900123", []),
    ("19 May 2024", []),
    ("is that him??", []),
    ("saw 3m of fence down", []),
    ("reg starts with YR", []),  # two letters alone say too little
    ("part of it", []),
    ("the fire started A149 layby", []),
    ("starts at 10", []),
    ("CX-5 and X5", []),
    ("going 60mph at 10pm", []),
    ("JCB 3CX stolen", []),
    ("30 ewes, 2 rams", []),
    ("68 plate silver hilux", []),
]


@pytest.mark.parametrize(("text", "expected"), FIND)
def test_find_registrations(text: str, expected: list[tuple[str, bool, str]]) -> None:
    found = find_registrations(text)
    assert [(p.normalised, p.partial, p.format) for p in found] == expected


def test_a_plate_span_points_at_what_was_written() -> None:
    text = "silver subaru kx19-abc heading to docking"
    [plate] = find_registrations(text)
    assert plate == Plate("KX19 ABC", False, "current", (14, 22))
    assert text[slice(*plate.span)] == "kx19-abc"


def test_the_tables_are_big_enough_to_mean_something() -> None:
    assert len(NORMALISE) >= 50
    assert len(FIND) >= 50
    assert sum(1 for _, found in FIND if not found) >= 25


DISTINCT = st.one_of(
    st.from_regex(r"[A-Za-z]{2}[0-9]{2}[A-Za-z]{3}", fullmatch=True),
    st.from_regex(r"[A-Za-z][1-9][0-9]{0,2}[A-Za-z]{3}", fullmatch=True),
    st.from_regex(r"[A-Za-z]{3}[1-9][0-9]{0,2}[A-Za-z]", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(
    DISTINCT,
    st.text(alphabet=" .,;:!()'\n", min_size=1, max_size=3),
    st.sampled_from([" ", ". ", ", ", "! ", "? ", "?\n", ")", "\n"]),
)
def test_a_plate_written_whole_is_found_whatever_surrounds_it(
    plate: str, before: str, after: str
) -> None:
    text = f"silver van{before}{plate}{after}heading north"
    found = find_registrations(text)
    assert [(p.normalised, p.partial) for p in found] == [(normalise_registration(plate), False)]
    assert text[slice(*found[0].span)] == plate


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gives_plates_or_nothing_and_never_an_error(text: str) -> None:
    for plate in find_registrations(text):
        start, end = plate.span
        assert 0 <= start < end <= len(text)
        if not plate.partial:
            assert normalise_registration(text[start:end]) == plate.normalised


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_normalising_is_stable(text: str) -> None:
    once = normalise_registration(text)
    if once is not None:
        assert normalise_registration(once) == once
