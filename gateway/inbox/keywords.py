"""What an inbound SMS asks for: a keyword command, or None (then it is a report).

Pure text in, `Command` out, so the rules can be tested without a database. They lean
towards "report": a sighting that merely starts with a keyword-like word ("Stop and search
needed...", "End of the lane...") must reach the sightings desk, so a command is a keyword
alone or with the few short arguments it takes. Opting out leans the other way, since an
ignored STOP is worse than a wasted reply: "STOP thanks", "stop texting me" and "STOP STOP"
are a global stop, not a stop of lists called THANKS or ME.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from gateway.inbox.officer_words import VERBS as OPERATOR_VERBS

Kind = Literal[
    "join", "stop", "start", "help", "lists", "quiet", "quiet-off", "stop-email", "start-email"
]

STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "END", "CANCEL", "QUIT", "OPTOUT", "OPT OUT"}
)
"""UK opt-out habits; "OPT-OUT" matches "OPT OUT" because hyphens count as spaces here."""

_KEYWORDS: dict[str, Kind] = {
    "HELP": "help", "INFO": "help", "LISTS": "lists", "LIST": "lists", "START": "start",
    "UNSTOP": "start", "RESUME": "start", "JOIN": "join", "SUBSCRIBE": "join", "QUIET": "quiet",
}  # fmt: skip
# Words that add nothing to STOP or START: "stop sending me texts" still means every list.
_GLOBAL = frozenset(
    {"ALL", "ALERTS", "MESSAGES", "MSGS", "TEXTS", "TEXTING", "SENDING", "SMS", "EVERYTHING",
     "ME", "THESE"}
)  # fmt: skip
# STOP EMAIL / START EMAIL: the email channel's own opt-out and its undoing, by text.
_EMAIL = (["EMAIL"], ["EMAILS"], ["E-MAIL"], ["E-MAILS"], ["MAIL"])
# Courtesies people wrap keywords in; "x" is a British sign-off kiss.
_POLITE = frozenset({"PLEASE", "PLS", "PLZ", "THANKS", "THANX", "THX", "TA", "CHEERS", "TY"})
RESERVED = frozenset(
    {w.replace(" ", "") for w in STOP_WORDS}
    | _KEYWORDS.keys()
    | OPERATOR_VERBS
    | {"PATROL"}  # kept for the officers' patrol commands to come
    | _GLOBAL  # "STOP ALERTS" stops everything, so a list ALERTS could not be left
    | _POLITE  # "JOIN THANKS" reads as a bare JOIN
    | {"EMAIL", "EMAILS", "MAIL"}  # STOP EMAIL is the email channel's STOP
)
"""Words that can never be a list's keyword: the texts that use them mean something else."""
_MAX_NAME_WORDS = 4
_MAX_COMMAND = 160  # longer than one GSM-7 part is never a keyword command

# Phones send typographic quotes and dashes; NFKC leaves these alone, so map them first.
_TYPOGRAPHY = str.maketrans("‘’‚‛′`“”„‟″‐‑‒–—―−", "''''''\"\"\"\"\"-------")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # punctuation, emoji and spaces around the text
_HEAD = re.compile(r"([^\W\d_]+)[:.\-]*(.*)")  # "join:docking", "OPT-OUT", "QUIET22-07"
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")
_TIME = r"(\d{1,2})(?:[:.]?(\d{2}))?\s*(?:([AP])\.?M\.?)?"
_RANGE = re.compile(rf"{_TIME}\s*(?:-|TO|TILL?|UNTIL|\s)\s*{_TIME}")
# Looks like someone trying to set quiet hours (so they get the format back), not a report.
_QUIET_TRY = re.compile(r"(?:[\d\s:.\-]|[AP]\.?M\.?|TO|TILL?|UNTIL|ON)+")


@dataclass(frozen=True)
class Command:
    """One keyword command. A "quiet" with quiet_from None means QUIET was sent with hours
    that cannot be used (missing, out of range, equal, or not on the hour): the caller
    should reply with the expected format rather than treat the text as a report."""

    kind: Kind
    list_keyword: str = ""  # upper case; "" for a global STOP
    name: str = ""  # as typed with JOIN ("JOIN DOCKING Tom Smith" -> "Tom Smith")
    quiet_from: int | None = None  # hour 0-23
    quiet_to: int | None = None


def parse(text: str, *, stop_words: Collection[str] = STOP_WORDS) -> Command | None:
    """The command `text` asks for, or None when it is not one (then it is a report)."""
    words = _words(text)
    if not words:
        return None
    upper = [w.upper() for w in words]
    stops = {" ".join(w.upper().replace("-", " ").split()) for w in stop_words}
    longest = max((s.count(" ") + 1 for s in stops), default=0)
    for n in range(min(len(words), longest), 0, -1):
        if " ".join(upper[:n]) in stops:
            return _stop(words[n:], upper[n:], stops)
    kind = _KEYWORDS.get(upper[0])
    args, upper_args = words[1:], upper[1:]
    if kind == "join":
        return _join(args) if args else Command("help")  # a bare JOIN needs the list names
    if kind == "quiet":
        if upper_args[:1] in (["HOURS"], ["HRS"], ["TIME"]):
            upper_args = upper_args[1:]
        return _quiet(" ".join(upper_args))
    if kind == "start" and upper_args in _EMAIL:
        return Command("start-email")
    if kind == "start" and _GLOBAL.issuperset(upper_args):
        return Command("start")
    if kind in ("help", "lists") and not args:
        return Command(kind)
    return None


def reserved(keyword: str) -> bool:
    """Whether `keyword` is, or spells with a dash or underscore, a reserved word."""
    return keyword.upper().replace("-", "").replace("_", "") in RESERVED


def _words(text: str) -> list[str]:
    """The text as words without edge punctuation, courtesies, or stray dashes."""
    text = unicodedata.normalize("NFKC", text.translate(_TYPOGRAPHY))
    text = _EDGES.sub("", text)
    if len(text) > _MAX_COMMAND:
        return []
    words = [w for w in re.split(r"[\s,;]+", text) if w and not re.fullmatch(r"[\-:.]+", w)]
    while words and words[0].upper() in _POLITE:
        words.pop(0)
    while words:
        tail = [w.upper() for w in words[-2:]]
        if tail in (["THANK", "YOU"], ["MANY", "THANKS"]):
            del words[-2:]
        elif tail[-1] in _POLITE or re.fullmatch("X+", tail[-1]):
            words.pop()
        else:
            break
    head = _HEAD.fullmatch(words[0]) if words else None
    if head:  # split a keyword glued to its argument
        words[:1] = [w for w in head.groups() if w]
    return words


def _stop(args: list[str], upper: list[str], stops: set[str]) -> Command | None:
    """Global unless a single list keyword follows; anything else is a report."""
    if upper in _EMAIL:
        return Command("stop-email")
    if all(w in _GLOBAL or w in stops for w in upper):
        return Command("stop")
    keyword = _list_keyword(args[0]) if len(args) == 1 else None
    return Command("stop", keyword) if keyword else None


def _join(args: list[str]) -> Command | None:
    keyword = _list_keyword(args[0])
    name = args[1:]
    if not keyword or len(name) > _MAX_NAME_WORDS:
        return None
    if not all(_NAME_WORD.fullmatch(w) for w in name):
        return None
    return Command("join", keyword, " ".join(name))


def _list_keyword(word: str) -> str | None:
    """Same rule as subscribers.clean_keyword, so every list made there can be joined."""
    word = word.strip("#\"'<>()[]{}*").upper()
    if not 2 <= len(word) <= 20 or not any(c.isalnum() for c in word):
        return None
    return word if all(c.isalnum() or c in "-_" for c in word) else None


def _quiet(rest: str) -> Command | None:
    if rest in ("OFF", "NONE"):
        return Command("quiet-off")
    found = _RANGE.fullmatch(rest)
    if found:
        start, end = _hour(*found.groups()[:3]), _hour(*found.groups()[3:])
        if start is not None and end is not None and start != end:
            return Command("quiet", quiet_from=start, quiet_to=end)
    if found or not rest or _QUIET_TRY.fullmatch(rest):
        return Command("quiet")
    return None  # "Quiet lane off the B1153, two men..." is a report


def _hour(hour: str, minutes: str | None, meridian: str | None) -> int | None:
    """Quiet hours are whole hours, so 22:30 is refused rather than rounded."""
    h = int(hour)
    if minutes not in (None, "00"):
        return None
    if meridian:
        return h % 12 + (12 if meridian == "P" else 0) if 1 <= h <= 12 else None
    return h if h <= 23 else None
