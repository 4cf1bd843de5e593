"""Reading sightings: the table of real-world messages, the gazetteer, and the promise that
no text from the field can make the parser fail.

The table's non-matches matter as much as its finds: a road number read as a plate, or a
time read as a count, would send an officer after something that is not there.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sightings_table import SIGHTINGS

from gateway.sightings.parser import DEFAULT_GAZETTEER, Parsed, parse
from gateway.sightings.plates import normalise_registration


@pytest.mark.parametrize(("text", "expected"), SIGHTINGS, ids=[t[:40] for t, _ in SIGHTINGS])
def test_a_sighting_reads_as_expected(text: str, expected: Parsed) -> None:
    assert parse(text) == expected


def test_the_table_is_big_and_varied_enough_to_mean_something() -> None:
    texts = [text for text, _ in SIGHTINGS]
    assert len(SIGHTINGS) >= 60
    assert len(set(texts)) == len(texts)
    assert sum(1 for _, parsed in SIGHTINGS if parsed == Parsed()) >= 12
    assert sum(1 for text in texts if re.search(r"[\U0001F300-\U0001FAFF]", text)) >= 4
    assert sum(1 for text in texts if text == text.lower()) >= 15
    for field in dataclasses.fields(Parsed):
        default = getattr(Parsed(), field.name)
        assert any(getattr(p, field.name) != default for _, p in SIGHTINGS), field.name


def test_the_default_gazetteer_is_west_norfolk() -> None:
    for village in ("Docking", "Bircham", "Fring", "Sedgeford", "King's Lynn", "Fakenham"):
        assert village in DEFAULT_GAZETTEER
    assert parse("near Docking") == parse("near Docking", DEFAULT_GAZETTEER)


def test_a_configured_gazetteer_replaces_the_default() -> None:
    mine = ("Little Snoring", "Great Snoring", "St. Mary's")
    assert parse("2 men at little snoring", mine).places == ("Little Snoring",)
    assert parse("Gt Snoring then St Marys", mine).places == ("Great Snoring", "St. Mary's")
    assert parse("2 men near Docking", mine).places == ()


def test_place_names_match_whole_words_only() -> None:
    assert parse("the fringe of the wood").places == ()
    assert parse("Fringford and Dockings Lane").places == ()
    assert parse("Fring, then Fring again").places == ("Fring",)


def test_a_slip_is_forgiven_only_in_long_names() -> None:
    assert parse("near Hunstaton").places == ("Hunstanton",)
    assert parse("Sedgfrod").places == ()  # two slips
    assert parse("on the decking at the pub").places == ()  # one slip from Docking


def test_gazetteer_names_are_taken_literally_and_blank_ones_ignored() -> None:
    odd = ("", "   ", "a.b*c", "(", "Wells-next-the-Sea")
    assert parse("seen near a.b*c", odd).places == ("a.b*c",)
    assert parse("seen near axbbc", odd).places == ()
    assert parse("wells next the sea", odd).places == ("Wells-next-the-Sea",)


def test_parsed_sightings_store_as_json() -> None:
    parsed = parse(SIGHTINGS[0][0])
    assert json.loads(json.dumps(dataclasses.asdict(parsed)))["registrations"] == ["KX19 ABC"]


def test_a_parser_bug_is_logged_and_the_report_still_gets_filed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = [None]  # a gazetteer that slipped past config checking
    with caplog.at_level(logging.ERROR, logger="gateway.sightings.parser"):
        assert parse("KX19ABC near Docking", broken) == Parsed()  # type: ignore[arg-type]
    assert "sighting parser failed" in caplog.text


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_PIECES = [
    *(text for text, _ in SIGHTINGS),
    "KX19ABC", "a149", "B1153", "PE31 6RJ", "TF 7831 3851", "///a.b.c", "22:30", "x2", "n/b",
    "towards", "heading", "the", "a", "no", "couple of", "3", "Docking", "King's", "Lynn", "🐕",
    "\n", "", "?", "...", "-", "'", "/", "\ue000", "İ", "ß", "４",
]  # fmt: skip


def _check_never_fails(text: str) -> None:
    errors = _Errors()
    logger = logging.getLogger("gateway.sightings.parser")
    logger.addHandler(errors)
    try:
        parsed = parse(text)
    finally:
        logger.removeHandler(errors)
    assert errors.records == []  # the safety net in parse() was not needed
    for plate in parsed.registrations:
        assert normalise_registration(plate) == plate
    for count in (parsed.people, parsed.dogs, parsed.vehicles):
        assert count is None or count >= 0
    assert set(parsed.places) <= set(DEFAULT_GAZETTEER)
    assert parsed.direction == " ".join(parsed.direction.split())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_without_an_error(text: str) -> None:
    _check_never_fails(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12), st.sampled_from(["", " ", ", ", "  "]))
def test_sighting_like_text_parses_without_an_error(pieces: list[str], glue: str) -> None:
    _check_never_fails(glue.join(pieces))
