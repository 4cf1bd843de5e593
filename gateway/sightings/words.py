"""What was seen: vehicles (make, type, colour) and how many people, dogs and vehicles.

The text arrives with plates, postcodes, grid references and roads blanked out, so none
of their digits can be read as a count. A count is a number (digits, a word, "a", "couple of")
followed, through at most a few describing words, by what it counts: "2 big black
lurchers", "a silver Subaru", "3men", "dogs x2".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.sightings.vocab import (
    ADJECTIVES,
    COLOURS,
    DOGS,
    NOT_A_COUNT_AFTER,
    NOT_VEHICLES,
    NUMBER_PHRASES,
    NUMBER_WORDS,
    PEOPLE,
    QUARRY,
    VEHICLE_WORDS,
    VehicleWord,
)

_SCAN = 4  # describing words allowed between a number and what it counts
_MAX_COUNT = 50  # larger numbers are not heads of people, dogs or vehicles


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "vehicle", "colour", "postfix", "word" or "other"
    text: str  # as written
    start: int
    end: int
    number: int | None = None
    vehicle: VehicleWord | None = None
    colour: str = ""


@dataclass(frozen=True)
class Seen:
    colours: tuple[str, ...]
    makes: tuple[str, ...]
    vehicle_types: tuple[str, ...]
    people: int | None
    dogs: int | None
    vehicles: int | None
    dogs_seen: bool


def _compact(written: str) -> str:
    return re.sub(r"[\s\-~]+", "", written.lower())


def _spelling_pattern(spelling: str, plural: bool) -> str:
    """The notation of sighting_vocab as a pattern, with its plural if it has one."""
    words = re.split(r"( |-|~)", spelling)
    seps = {" ": r"[\s\-]+", "-": r"[\s\-]?", "~": r"-?"}
    body = "".join(seps[w] if w in seps else re.escape(w) for w in words)
    if not plural:
        return body
    return body + ("(?:es)?" if re.search(r"(?:[sxz]|[cs]h)$", spelling) else "s?")


def _alternation(spellings: Iterable[str], plural: bool = True) -> str:
    """Longest first: a regex alternation takes the first that fits, not the longest."""
    patterns = (_spelling_pattern(s, plural) for s in spellings)
    return "|".join(sorted(patterns, key=len, reverse=True))


_VEHICLES = {_compact(s): v for s, v in VEHICLE_WORDS.items()}
_COLOURS = {_compact(s): c for s, c in COLOURS.items()}
_PHRASES = {_compact(s): n for s, n in NUMBER_PHRASES.items()}
_TOKEN = re.compile(
    rf"(?<!\w)(?P<vehicle>{_alternation(VEHICLE_WORDS)})(?!\w)"
    rf"|(?<!\w)(?P<colour>{_alternation(COLOURS, plural=False)})(?!\w)"
    rf"|(?<!\w)(?P<phrase>{_alternation(NUMBER_PHRASES, plural=False)})(?!\w)"
    r"|(?<![\w.:,])(?P<num>[0-9]{1,3})(?:\s?x(?![^\W\d_]))?(?![0-9]|[.:,][0-9])"
    r"|(?<!\w)(?P<postfix>x\s?[0-9]{1,2})(?!\w)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)"
    r"|(?P<other>[0-9]+|\S)",
    re.IGNORECASE,
)


_SENTENCE_ENDS = frozenset(".!?")
_POSTFIX = re.compile(r"x\s?[0-9]{1,2}", re.IGNORECASE)
_NOT_A_VEHICLE_AFTER_COLOUR = PEOPLE | DOGS | NOT_VEHICLES
_DESCRIBING = ADJECTIVES | QUARRY


def _lookup_vehicle(written: str) -> VehicleWord | None:
    key = _compact(written)
    for candidate in (key, key[:-2] if key.endswith("es") else "", key[:-1]):
        if candidate in _VEHICLES:
            return _VEHICLES[candidate]
    return None


def tokenise(text: str) -> list[Token]:
    tokens = [
        _token(m.lastgroup or "other", m[0], m.start(), m.end()) for m in _TOKEN.finditer(text)
    ]
    return _settle_ambiguous(text, tokens)


def _token(kind: str, written: str, start: int, end: int) -> Token:
    key = _compact(written)
    if kind == "vehicle":
        return Token(kind, written, start, end, vehicle=_lookup_vehicle(written))
    if kind == "colour":
        return Token(kind, written, start, end, colour=_COLOURS.get(key, ""))
    if kind == "phrase":
        return Token("num", written, start, end, number=_PHRASES.get(key))
    if kind in ("num", "postfix"):
        return Token(kind, written, start, end, number=int(re.sub(r"[^0-9]", "", written)))
    if kind == "word" and key in NUMBER_WORDS:
        return Token("num", written, start, end, number=NUMBER_WORDS[key])
    return Token(kind, written, start, end)


def _settle_ambiguous(text: str, tokens: list[Token]) -> list[Token]:
    """A model or make that is also a word ("ranger", "partner", "seat") is a vehicle only
    after a make or colour ("Ford Ranger", "white partner") or capitalised mid-sentence."""
    settled: list[Token] = []
    for tok in tokens:
        if tok.vehicle is not None and tok.vehicle.ambiguous:
            prev = settled[-1] if settled else None
            named = prev is not None and (
                prev.kind == "colour"
                or (prev.vehicle is not None and prev.vehicle.make is not None)
            )
            mid_sentence = (
                prev is not None
                and prev.text not in _SENTENCE_ENDS
                and ("\n" not in text[prev.end : tok.start])
            )
            if not (named or (tok.text.istitle() and mid_sentence)):
                # "dogs x5" is a count, not a BMW: read it again as one
                kind = "postfix" if _POSTFIX.fullmatch(tok.text) else "word"
                tok = _token(kind, tok.text, tok.start, tok.end)
        settled.append(tok)
    return settled


def read(tokens: list[Token]) -> Seen:
    colours = [t.colour for i, t in enumerate(tokens) if t.colour and _of_vehicle(tokens, i)]
    vehicles = [t.vehicle for t in tokens if t.vehicle is not None]
    makes = [v.make for v in vehicles if v.make]
    kinds = [v.kind for v in vehicles if v.kind]
    people, dogs, cars, dogs_seen = _counts(tokens)
    return Seen(_unique(colours), _unique(makes), _unique(kinds), people, dogs, cars, dogs_seen)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _of_vehicle(tokens: list[Token], i: int) -> bool:
    """A colour describes a vehicle unless what follows it is a dog, a person, clothing or
    a lamp: "2 black lurchers", "white lads", "black jackets", "Green Lane"."""
    for tok in tokens[i + 1 : i + 1 + _SCAN]:
        low = tok.text.lower()
        if tok.kind == "colour" or low in ADJECTIVES or low in ("and", "&", "/"):
            continue
        return tok.kind == "vehicle" or low not in _NOT_A_VEHICLE_AFTER_COLOUR
    return True


def _category(tok: Token) -> str:
    if tok.kind == "vehicle":
        return "vehicles"
    low = tok.text.lower()
    return "people" if low in PEOPLE else "dogs" if low in DOGS else ""


def _counts(tokens: list[Token]) -> tuple[int | None, int | None, int | None, bool]:
    totals: dict[str, int] = {}
    counted: set[int] = set()  # nouns that already have their number
    for i, tok in enumerate(tokens):
        if tok.number is None or tok.number > _MAX_COUNT:
            continue
        head = _counted_by(tokens, i, counted)
        if head is not None:
            category = _category(tokens[head])
            totals[category] = totals.get(category, 0) + tok.number
            counted.add(head)
    dogs_seen = any(_category(t) == "dogs" for t in tokens) and totals.get("dogs") != 0
    return totals.get("people"), totals.get("dogs"), totals.get("vehicles"), dogs_seen


def _counted_by(tokens: list[Token], i: int, counted: set[int]) -> int | None:
    """The noun the number at i counts, or None."""
    if tokens[i].kind == "postfix":  # "lurchers x2": the noun comes first
        head = i - 1
        return head if head >= 0 and _category(tokens[head]) and head not in counted else None
    if i > 0 and tokens[i - 1].text.lower() in NOT_A_COUNT_AFTER:
        return None  # "at 10", "the 3 men" (counted already)
    return _head_after(tokens, i)


def _head_after(tokens: list[Token], i: int) -> int | None:
    """The noun a number at i counts, past describing words, or None."""
    for j in range(i + 1, min(len(tokens), i + 1 + _SCAN)):
        tok = tokens[j]
        if _category(tok):
            return j
        if tok.kind != "colour" and tok.text.lower() not in _DESCRIBING:
            return None
    return None
