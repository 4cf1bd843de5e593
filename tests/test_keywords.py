"""The keyword parser: a table of real-looking texts, then properties over arbitrary ones.

The table's most important rows are the reports that start like a keyword: if one of those
became a command, a sighting would be answered with a help text and never reach the desk.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gateway.inbox.keywords import STOP_WORDS, Command, parse

STOP = Command("stop")
START = Command("start")
HELP = Command("help")
LISTS = Command("lists")
QUIET_FORMAT = Command("quiet")  # QUIET with hours we cannot use: the caller sends the format
QUIET_OFF = Command("quiet-off")


def stop(keyword: str) -> Command:
    return Command("stop", keyword)


def join(keyword: str, name: str = "") -> Command:
    return Command("join", keyword, name)


def quiet(start: int, end: int) -> Command:
    return Command("quiet", quiet_from=start, quiet_to=end)


TABLE: list[tuple[str, Command | None]] = [
    # The email channel's own STOP and START (issue 16): texts go on
    ("STOP EMAIL", Command("stop-email")),
    ("stop emails please", Command("stop-email")),
    ("Stop e-mail", Command("stop-email")),
    ("START EMAIL", Command("start-email")),
    ("start emails", Command("start-email")),
    # STOP and its UK habits, alone or with a list keyword
    ("STOP", STOP),
    ("stop", STOP),
    (" stop. ", STOP),
    ("Stop!", STOP),
    ("STOP!!!", STOP),
    ("\n\tStop\r\n", STOP),
    ('"STOP"', STOP),
    ("STOPALL", STOP),
    ("STOP ALL", STOP),
    ("stop all please", STOP),
    ("STOP thanks", STOP),
    ("Stop, thank you", STOP),
    ("STOP. Thanks x", STOP),
    ("please stop", STOP),
    ("Stop texting me", STOP),
    ("stop sending me messages", STOP),
    ("STOP STOP STOP", STOP),
    ("Stop 🙏", STOP),
    ("ＳＴＯＰ", STOP),  # full-width letters from some keyboards
    ("Unsubscribe", STOP),
    ("unsubscribe me", STOP),
    ("END", STOP),
    ("Cancel", STOP),
    ("QUIT", STOP),
    ("OPTOUT", STOP),
    ("opt out", STOP),
    ("Opt-Out", STOP),
    ("STOP DOCKING", stop("DOCKING")),
    ("stop docking please", stop("DOCKING")),
    ("Stop: Docking", stop("DOCKING")),
    ("STOP #burnham-market", stop("BURNHAM-MARKET")),
    ("END docking", stop("DOCKING")),
    ("unsubscribe FARMS_2", stop("FARMS_2")),
    # START, HELP, LISTS
    ("START", START),
    ("start.", START),
    ("Unstop", START),
    ("RESUME alerts", START),
    ("HELP", HELP),
    ("help?", HELP),
    ("Help!", HELP),  # the help reply ends "In an emergency call 999"
    ("Info", HELP),
    ("help please", HELP),
    ("LISTS", LISTS),
    ("list", LISTS),
    ("Lists?", LISTS),
    # JOIN
    ("JOIN DOCKING", join("DOCKING")),
    ("JOIN  docking", join("DOCKING")),
    ("join: Docking", join("DOCKING")),
    ("JOIN #docking", join("DOCKING")),
    ("join 'docking'", join("DOCKING")),
    ("join:docking", join("DOCKING")),
    ("JOIN DOCKING Tom Smith", join("DOCKING", "Tom Smith")),
    ("Join docking tom   smith.", join("DOCKING", "tom smith")),
    ("JOIN DOCKING Mary O’Brien-Jones", join("DOCKING", "Mary O'Brien-Jones")),
    ("JOIN DOCKING Zoë Ó Súilleabháin", join("DOCKING", "Zoë Ó Súilleabháin")),
    ("JOIN DOCKING Anne Marie de Vere", join("DOCKING", "Anne Marie de Vere")),
    ("JOIN DOCKING Tom thanks", join("DOCKING", "Tom")),
    ("Subscribe docking", join("DOCKING")),
    ("JOIN", HELP),  # a bare JOIN needs to be told how
    ("JOIN DOCKING Anne Marie de Vere Smith", None),  # five words is not a name
    ("JOIN DOCKING 07700900123", None),
    ("JOIN Q", None),  # too short for a list keyword
    ("JOIN x", HELP),  # "x" is a kiss, so this is a bare JOIN
    ("JOIN ABCDEFGHIJKLMNOPQRSTU", None),  # 21 characters
    # QUIET
    ("QUIET 22-07", quiet(22, 7)),
    ("quiet 22:00-07:00", quiet(22, 7)),
    ("Quiet 10pm-7am", quiet(22, 7)),
    ("QUIET 10 p.m. to 7 a.m.", quiet(22, 7)),
    ("QUIET 22 07", quiet(22, 7)),
    ("QUIET 2200-0700", quiet(22, 7)),
    ("QUIET 22.00 – 07.00", quiet(22, 7)),  # en dash
    ("quiet hours 23-6 please", quiet(23, 6)),
    ("QUIET 0-6", quiet(0, 6)),
    ("QUIET 12am-12pm", quiet(0, 12)),
    ("QUIET22-07", quiet(22, 7)),
    ("QUIET OFF", QUIET_OFF),
    ("quiet none", QUIET_OFF),
    ("QUIET", QUIET_FORMAT),
    ("QUIET 25-99", QUIET_FORMAT),
    ("QUIET 22-22", QUIET_FORMAT),
    ("QUIET 22:30-07:00", QUIET_FORMAT),  # quiet hours are whole hours
    ("QUIET 13pm-7am", QUIET_FORMAT),
    ("QUIET 22", QUIET_FORMAT),
    ("QUIET ON", QUIET_FORMAT),
    # reports that start like a keyword
    ("Stop and search needed, white van at Docking", None),
    ("End of the lane by the church, 2 men with dogs", None),
    ("Start of the B1153, blue Pajero", None),
    ("Help! Men with lurchers in my field", None),
    ("Help me", None),
    ("Stop! Thief", None),
    ("Quiet lane off the B1153, two men with lamps", None),
    ("Quiet night", None),
    ("List of cars: KX19 ABC, AB12 CDE", None),
    ("Joined by a second van at 22:10", None),
    ("Stopped a silver Hilux near the church", None),
    ("Info: 2 men with dogs at Docking Common", None),
    ("Cancel my last report, it was the farmer", None),
    ("Resume of events: gate cut, quad gone", None),
    # anything else
    ("", None),
    ("   ", None),
    ("!!!", None),
    ("?.,;:-", None),
    ("👍", None),
    ("Thanks", None),
    ("xx", None),
    ("Dwóch mężczyzn z psami przy stodole", None),  # UCS-2 text
    ("ΣΤΟΠ", None),
    ("两个人在田里", None),
    ("Stop " + "x" * 500 + " men", None),
    ("STOP " + " " * 300, STOP),  # the padding is whitespace, the text is short
    ("STOP " + "DOCKING " * 100, None),
]


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[repr(t[:40]) for t, _ in TABLE])
def test_it_reads_what_the_text_asks_for(text: str, expected: Command | None) -> None:
    assert parse(text) == expected


def test_the_table_is_big_enough_to_mean_something() -> None:
    assert len(TABLE) >= 60
    assert sum(expected is None for _, expected in TABLE) >= 20


@pytest.mark.parametrize("word", sorted(STOP_WORDS))
def test_every_stop_word_stops_everything_or_one_list(word: str) -> None:
    assert parse(word) == STOP
    assert parse(f"{word.lower()} docking") == stop("DOCKING")


def test_the_caller_chooses_the_stop_words() -> None:
    words = {"NO MORE", "Basta"}
    assert parse("no more", stop_words=words) == STOP
    assert parse("No-more docking", stop_words=words) == stop("DOCKING")
    assert parse("BASTA!", stop_words=words) == STOP
    assert parse("STOP", stop_words=words) is None


# --- properties ---------------------------------------------------------------------

# Words a list keyword cannot be, because they mean something around a keyword: courtesies
# ("STOP thanks"), kisses, "STOP ALL"-style words, and the stop words themselves.
RESERVED = {
    "PLEASE", "PLS", "PLZ", "THANKS", "THANX", "THX", "TA", "CHEERS", "TY", "THANK", "MANY",
    "ALL", "ALERTS", "MESSAGES", "MSGS", "TEXTS", "TEXTING", "SENDING", "SMS", "EVERYTHING",
    "ME", "THESE", "HOURS", "HRS", "TIME", "OFF", "NONE",
} | set(STOP_WORDS)  # fmt: skip

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
list_keywords = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(ALNUM),
    st.text(alphabet=ALNUM + "-_", max_size=18),
    st.sampled_from(ALNUM),
).filter(lambda w: w not in RESERVED and not re.fullmatch("X+", w))
name_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=10).filter(
    lambda w: w.upper() not in RESERVED and not re.fullmatch("X+", w.upper())
)
padding = st.text(alphabet=" \t\n.!?,👍", max_size=4)


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, Command]:
    """A command and a canonical way a person might type it."""
    kind = draw(st.sampled_from(["join", "stop", "stop-list", "start", "help", "lists", "quiet"]))
    if kind == "join":
        keyword, name = draw(list_keywords), draw(st.lists(name_words, max_size=4))
        return " ".join(["JOIN", keyword, *name]), join(keyword, " ".join(name))
    if kind == "stop-list":
        keyword = draw(list_keywords)
        return f"{draw(st.sampled_from(sorted(STOP_WORDS)))} {keyword}", stop(keyword)
    if kind == "quiet":
        start, end = draw(st.integers(0, 23)), draw(st.integers(0, 23))
        assume(start != end)
        style = draw(st.sampled_from(["{:02d}-{:02d}", "{:02d}:00 - {:02d}:00", "{}00 {}00"]))
        return "QUIET " + style.format(start, end), quiet(start, end)
    return {"stop": ("STOP", STOP), "start": ("START", START), "help": ("HELP", HELP)}.get(
        kind, ("LISTS", LISTS)
    )


@st.composite
def retyped(draw: st.DrawFn, text: str) -> str:
    """The same text with its case, spacing and surrounding punctuation changed."""
    cased = "".join(c.lower() if draw(st.booleans()) else c for c in text)
    spaced = re.sub(" +", lambda _: draw(st.sampled_from([" ", "  ", "\t", " \n "])), cased)
    return draw(padding) + spaced + draw(padding)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_command_survives_how_people_type_it(data: st.DataObject) -> None:
    text, command = data.draw(commands())
    typed = data.draw(retyped(text))
    found = parse(typed)
    assert found is not None, typed
    assert (found.kind, found.list_keyword, found.quiet_from, found.quiet_to) == (
        command.kind,
        command.list_keyword,
        command.quiet_from,
        command.quiet_to,
    )
    assert found.name.casefold() == command.name.casefold()


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=300))
def test_it_never_raises_and_returns_only_sane_commands(text: str) -> None:
    found = parse(text)
    if found is None:
        return
    if found.list_keyword:
        assert found.list_keyword == found.list_keyword.upper()
        assert 2 <= len(found.list_keyword) <= 20
    assert found.list_keyword or found.kind != "join"
    assert len(found.name.split()) <= 4
    if found.quiet_from is not None or found.quiet_to is not None:
        assert found.kind == "quiet"
        assert found.quiet_from in range(24) and found.quiet_to in range(24)
        assert found.quiet_from != found.quiet_to


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60))
def test_case_and_spacing_never_change_the_answer(text: str) -> None:
    """Printable ASCII, so case changes cannot change a character's length or class."""
    found, other = parse(text), parse(text.swapcase().replace(" ", "   "))
    if found is None or other is None:
        assert found is other
        return
    assert found.name.casefold() == other.name.casefold()
    assert found == Command(
        other.kind, other.list_keyword, found.name, other.quiet_from, other.quiet_to
    )


def test_accents_and_no_break_spaces_are_ordinary_text() -> None:
    """The properties above use ASCII; real texts arrive in UCS-2 too."""
    assert parse("JOIN DOCKING Zoë") == join("DOCKING", "Zoë")
    assert parse("STOP\u00a0DOCKING") == stop("DOCKING")  # no-break space from a phone
