"""UK vehicle registrations: the standard spacing, and plates inside a sighting's text.

Formats in use (DVLA): current "KX19 ABC" (since 2001), prefix "A123 BCD" (1983-2001),
suffix "ABC 123D" (1963-1983), dateless "ABC 1" or "1234 AB", and Northern Irish
"ABZ 1234" (three letters with I or Z, the Irish codes). Number groups never start with 0.

Finding plates in free text leans on the shapes that ordinary writing never makes
(KX19ABC, A123BCD, ABC123D). A dateless shape is also a road ("A149", "B1153"), a car
model ("L200", "RAV4"), a count ("3 men") or half a postcode, so it counts only right
after "reg", "plate" and the like. Split forms ("KX19 ABC") count unless a piece is a
common word ("A149 and", "BMW 320d", "saw 3m") or capitalised like a name ("Liz 2023"):
plates are written in capitals or all in lower case. Partial plates are kept as partial:
with placeholders ("WU62 X??"), after "starts"/"partial" ("reg starts YR68"), before
"...", or a bare "YR68" after "reg" (more likely the start of a current plate than the
dateless "YR 68").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

PlateFormat = Literal["current", "prefix", "suffix", "dateless", "northern_irish"]


@dataclass(frozen=True)
class Plate:
    normalised: str  # "KX19 ABC"; a partial one keeps "?" for unknown characters
    partial: bool
    format: PlateFormat
    span: tuple[int, int]  # where it was written in the text


# On the compact upper-case form: format, pattern, and whether it is told apart from
# words by its shape alone. The space goes between the two groups.
_SHAPES: tuple[tuple[PlateFormat, re.Pattern[str], bool], ...] = (
    ("current", re.compile(r"([A-Z]{2}[0-9]{2})([A-Z]{3})"), True),
    ("prefix", re.compile(r"([A-Z][1-9][0-9]{0,2})([A-Z]{3})"), True),
    ("suffix", re.compile(r"([A-Z]{3})([1-9][0-9]{0,2}[A-Z])"), True),
    ("northern_irish", re.compile(r"((?=[A-Z]{0,2}[IZ])[A-Z]{3})([1-9][0-9]{0,3})"), False),
    ("dateless", re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,3})"), False),
    ("dateless", re.compile(r"([1-9][0-9]{0,3})([A-Z]{1,3})"), False),
)
# Seven characters with "?" for the unknown ones: L letter, D digit.
_WILD_SHAPES: tuple[tuple[PlateFormat, str, int], ...] = (
    ("current", "LLDDLLL", 4),
    ("prefix", "LDDDLLL", 4),
    ("suffix", "LLLDDDL", 3),
)
# How a plate begins, after "starts with" or "partial plate".
_STARTS: tuple[tuple[PlateFormat, re.Pattern[str]], ...] = (
    ("current", re.compile(r"[A-Z]{2}[0-9]{2}[A-Z]{0,2}")),
    ("prefix", re.compile(r"[A-Z][1-9][0-9]{0,2}[A-Z]{0,2}")),
    ("suffix", re.compile(r"[A-Z]{3}[1-9][0-9]{0,2}")),
)
_AGE = re.compile(r"[A-Z]{2}(?!00|01|50)[0-9]{2}")  # "YR68": how a current plate begins

# Words that turn up beside numbers in sightings, so a split "plate" made of one is not.
_WORD_LIST = """A I AM AN AS AT BE BY DO GO HE IF IN IS IT ME MY NO OF OK ON OR PM SO TO UP US WE NR
    RD ST ALL AND ANY ARE ASK ATE BAD BAG BIG BIT BOX BOY BUT BUY CAN CAR CUT DAY DID DOG
    DRY DUE EAR EAT END ETC EYE FAR FEW FOR FOX GET GOT GUN GUY HAD HAS HAT HER HID HIM HIS
    HIT HOT HOW ICE ILL ITS JOB KEY KID LAD LAY LED LEG LET LIT LOT LOW MAN MAP MAY MEN MET
    MIX MUD NET NEW NIL NOR NOT NOW OFF OIL OLD ONE OUR OUT OWN PAY PER PUT RAN RED RID ROW
    RUN SAT SAW SAY SEA SEE SET SHE SIX SKY SON SUN TAN TEN THE TIE TOO TOP TOW TRY TWO USE
    VAN VIA WAR WAS WAY WET WHO WHY WON YES YET YOU AID AIM AIR BIN DIG DIM DIP FIG FIN FIT
    FIX GIG HIP INK INN ION KIT LID LIE LIP MID PIE PIN PIT RIB RIG RIM RIP SIN SIP SIR SIT
    SKI TIN TIP WIG WIN WIT ZIP ZOO ZAP ZEN COW PIG HEN EWE RAM MPH KPH MIN HRS SEC JCT RBT
    NBD SBD EBD WBD NTH STH APX ETA BMW KIA DAF AMG JCB LDV GTI GTD TDI HDI CDI DCI TSI SDI
    SUV UTE CAT BUS CAB REG AGO ISH YDS LBS"""
_WORDS = frozenset(_WORD_LIST.split())

_TOKEN = re.compile(r"(?:[^\W_]|[?*])+")
_SEPARATOR = re.compile(r"[ \t\u00a0]{1,3}|[ \t]?[-\u2010-\u2013][ \t]?")
_KEYWORD_BEFORE = re.compile(
    r"\b(?:reg(?:istration)?|plates?|number\s*plate|index|vrm|vrn)"
    r"(?:\s*(?:no|num|number|mark))?\.?(?:\s+(?:is|was|of))?\s*[:#=\-]?\s*$",
    re.IGNORECASE,
)
_PLATE_WORD = r"(?:number\s*)?(?:plate|reg(?:istration)?|index|number)"
_PARTIAL_BEFORE = re.compile(
    rf"\b(?:(?:start(?:s|ing)?|begin(?:s|ning)?)(?:\s+with)?|(?:started|began)\s+with"
    rf"|partial(?:ly)?(?:\s+{_PLATE_WORD})?|part\s+(?:of\s+(?:the\s+)?)?{_PLATE_WORD})"
    r"\s*[:\-]?\s*$",
    re.IGNORECASE,
)
_PARTIAL_AFTER = re.compile(r"\s*(?:\.{2,}|…)")
_CONTEXT = 48  # characters before a candidate that can hold its keyword


def normalise_registration(text: str) -> str | None:
    """The standard form ("KX19 ABC" for "kx19abc" or "KX 19-ABC"); None unless a whole plate."""
    compact = re.sub(r"[\s\-\u2010-\u2015]+", "", text)
    if not re.fullmatch(r"[A-Za-z0-9]{2,8}", compact):
        return None
    found = _complete(compact.upper())
    return found[1] if found else None


def find_registrations(text: str) -> list[Plate]:
    """Plates written in `text`, in order, complete or partial."""
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    plates: list[Plate] = []
    i = 0
    while i < len(tokens):
        plate, used = _plate_at(text, tokens, i)
        if plate is not None:
            plates.append(plate)
        i += used
    return plates


def _plate_at(text: str, tokens: list[tuple[int, int]], i: int) -> tuple[Plate | None, int]:
    """The plate starting at token i, longest first, and how many tokens it took."""
    before = text[max(0, tokens[i][0] - _CONTEXT) : tokens[i][0]]
    keyword = _KEYWORD_BEFORE.search(before) is not None
    cue = _PARTIAL_BEFORE.search(before) is not None
    for size in (3, 2, 1):
        window = tokens[i : i + size]
        if len(window) < size or not _joined(text, window):
            continue
        last_start, last_end = window[-1]
        # "KX19ABC?" is a question, "WU62 X??" a placeholder: try with and without.
        trimmed = last_start + len(text[last_start:last_end].rstrip("?*"))
        for end in dict.fromkeys((last_end, trimmed)):
            if end == last_start:
                continue
            written = [text[a:b] for a, b in window[:-1]] + [text[last_start:end]]
            partial = cue or _PARTIAL_AFTER.match(text, end) is not None
            found = _judge(written, keyword=keyword, partial=partial)
            if found is not None:
                fmt, normalised, is_partial = found
                return Plate(normalised, is_partial, fmt, (window[0][0], end)), size
    return None, 1


def _joined(text: str, window: list[tuple[int, int]]) -> bool:
    """Tokens written as one: only a space or a hyphen between them, all ASCII."""
    gaps = (text[a[1] : b[0]] for a, b in itertools.pairwise(window))
    return all(_SEPARATOR.fullmatch(gap) for gap in gaps) and all(
        text[a:b].isascii() for a, b in window
    )


def _judge(
    written: list[str], *, keyword: bool, partial: bool
) -> tuple[PlateFormat, str, bool] | None:
    """(format, normalised, partial) when the pieces, read together, are a plate here."""
    pieces = [p.upper() for p in written]
    compact = "".join(pieces)
    if "?" in compact or "*" in compact:
        return _wild(compact.replace("*", "?"))
    found = _complete(compact)
    has_word = len(pieces) > 1 and any(_is_word(p) for p in written)
    if found and found[2] and (keyword or (not has_word and _standard_split(pieces, found[1]))):
        return found[0], found[1], False
    if has_word:
        return None
    if partial:
        for fmt, pattern in _STARTS:
            if pattern.fullmatch(compact):
                return fmt, _spaced_start(compact, fmt), True
    if keyword and len(pieces) == 1 and _AGE.match(compact) and _STARTS[0][1].fullmatch(compact):
        return "current", _spaced_start(compact, "current"), True
    if found and (keyword or _distinct_irish(found, pieces)):
        return found[0], found[1], False
    return None


def _is_word(piece: str) -> bool:
    """A common word, or one written like a word or a name ("Liz"): plates are written in
    capitals or all in lower case, never capitalised."""
    if not piece.isalpha():
        return False
    return piece.upper() in _WORDS or (len(piece) > 1 and piece.istitle())


def _complete(compact: str) -> tuple[PlateFormat, str, bool] | None:
    for fmt, pattern, distinct in _SHAPES:
        match = pattern.fullmatch(compact)
        if match:
            return fmt, f"{match[1]} {match[2]}", distinct
    return None


def _standard_split(pieces: list[str], normalised: str) -> bool:
    """Written whole, at its standard space, or (current format) as "KX 19 ABC"."""
    if len(pieces) == 1 or pieces == normalised.split(" "):
        return True
    return len(pieces) == 3 and [len(p) for p in pieces] == [2, 2, 3]


def _distinct_irish(found: tuple[PlateFormat, str, bool], pieces: list[str]) -> bool:
    """A Northern Irish plate with three or four digits needs no keyword; "GTI 2" would."""
    return found[0] == "northern_irish" and len(found[1]) >= 7 and len(pieces) <= 2


def _wild(compact: str) -> tuple[PlateFormat, str, bool] | None:
    """A seven-character plate with "?" for what the witness did not see."""
    known = [ch for ch in compact if ch != "?"]
    if len(compact) != 7 or len(known) < 4 or not any(ch.isdigit() for ch in known):
        return None
    for fmt, layout, space in _WILD_SHAPES:
        if all(ch == "?" or (ch.isdigit() if kind == "D" else ch.isalpha())
               for ch, kind in zip(compact, layout, strict=True)):  # fmt: skip
            return fmt, f"{compact[:space]} {compact[space:]}", True
    return None


def _spaced_start(compact: str, fmt: PlateFormat) -> str:
    """The beginning of a plate, with the space where the whole plate has it."""
    if fmt == "prefix":
        digits = re.match(r"[A-Z][0-9]+", compact)
        space = digits.end() if digits else len(compact)
    else:
        space = 4 if fmt == "current" else 3
    head, tail = compact[:space], compact[space:]
    return f"{head} {tail}" if tail else head
