"""Where a sighting was: what3words addresses, postcodes, OS grid references, road numbers
and names from a local gazetteer, each found with where it was written.

Every finder runs on the text with the earlier finds blanked out, so a postcode is never
also half a grid reference, and no digit of any of them is left to be read as a count.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.sightings.vocab import COLOURS, MAKE_SPELLINGS, words

MASK = "\ue000"  # stands in for a find: neither a word character nor blank space


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str  # "what3words", "postcode", "grid_ref", "road", "place"
    value: str  # normalised: "PE31 6RJ", "TF 7831 3851", "B1153", "King's Lynn"


def blank(text: str, hits: Sequence[Hit], char: str = MASK) -> str:
    """The text with each hit overwritten, keeping every other position where it was."""
    chars = list(text)
    for hit in hits:
        chars[hit.start : hit.end] = char * (hit.end - hit.start)
    return "".join(chars)


def find_places(text: str, gazetteer: Sequence[str]) -> list[Hit]:
    """Every location in `text`, in the order the finders run (not by position)."""
    hits: list[Hit] = []
    for finder in (_what3words, _postcodes, _grid_refs, _roads):
        hits += finder(blank(text, hits))
    exact = _Gazetteer.of(tuple(gazetteer))
    hits += exact.find(blank(text, hits))
    hits += exact.find_misspelt(blank(text, hits))
    return hits


_W3W = re.compile(
    r"(?:/{2,3}\s?|\bw3w\s*[:\-]?\s*|\bwhat\s?3\s?words\s*(?:address\s*)?(?:is\s*)?[:\-]?\s*"
    r"|\bw3w\.co/|\bwhat3words\.com/)"
    r"([^\W\d_]+)\.([^\W\d_]+)\.([^\W\d_]+)(?!\w|\.[^\W\d_])",
    re.IGNORECASE,
)


def _what3words(text: str) -> list[Hit]:
    """Three words only after "///" or "w3w": bare "a.b.c" is as likely a web address."""
    return [Hit(*m.span(), "what3words", ".".join(m.groups()).lower()) for m in _W3W.finditer(text)]


_AREAS = words(
    """AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN
    DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L
    LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA
    SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS
    WV YO ZE"""
)
_POSTCODE = re.compile(
    r"(?<!\w)([A-Z]{1,2})([0-9][A-Z0-9]?)\s{0,2}([0-9][ABD-HJLNP-UW-Z]{2})(?!\w)", re.IGNORECASE
)


def _postcodes(text: str) -> list[Hit]:
    """Full postcodes of a real postcode area, in any case, with or without the space."""
    return [
        Hit(*m.span(), "postcode", f"{m[1]}{m[2]} {m[3]}".upper())
        for m in _POSTCODE.finditer(text)
        if m[1].upper() in _AREAS and m[2].isascii() and m[3].isascii()
    ]


_SQUARES = words(
    """HP HT HU HW HX HY HZ NA NB NC ND NF NG NH NJ NK NL NM NN NO NR NS NT NU NW NX NY NZ OV
    SC SD SE SH SJ SK SM SN SO SP SR SS ST SU SV SW SX SY SZ TA TF TG TL TM TQ TR TV"""
)
_GRID = re.compile(
    r"(?<!\w)([A-Z]{2})\s?(?:([0-9]{2,5})\s([0-9]{2,5})|([0-9]{4,10}))(?!\w)", re.IGNORECASE
)
_GRID_CUE = re.compile(r"\b(?:grid|ref|gr|ngr|os|osgr)\W{0,3}$", re.IGNORECASE)


def _grid_refs(text: str) -> list[Hit]:
    """Grid references: letters of a British 100 km square, then equal halves of digits.
    Short or lower-case ones ("so 22 30") need "grid ref" before them."""
    hits = []
    for m in _GRID.finditer(text):
        letters = m[1].upper()
        if m[4]:
            half = len(m[4]) // 2
            east, north = m[4][:half], m[4][half:]
        else:
            east, north = m[2], m[3]
        if letters not in _SQUARES or len(east) != len(north) or not m[0].isascii():
            continue
        cued = _GRID_CUE.search(text, max(0, m.start() - 12), m.start()) is not None
        sure = len(east) >= 3 or (m[1].isupper() and not m[4])
        if cued or sure:
            hits.append(Hit(*m.span(), "grid_ref", f"{letters} {east} {north}"))
    return hits


_ROAD = re.compile(r"(?<![\w/])([AaBbM])([1-9][0-9]{0,3})(\s?\([Mm]\))?(?!\w)")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\W*$")
_NAMES_A_MODEL = frozenset(
    re.split(r"[\s\-~]+", spelling)[-1] for spelling in (*MAKE_SPELLINGS, *COLOURS)
)  # "Audi A4", "BMW M3" and "silver A4" are cars, not roads


def _roads(text: str) -> list[Hit]:
    """A, B and motorway numbers. B roads have three or four digits; "b4" is "before",
    "a1" is slang and "m8" a mate, so those count only in capitals ("A1")."""
    hits = []
    for m in _ROAD.finditer(text):
        letter, digits = m[1], m[2]
        if (letter in "Bb" and len(digits) < 3) or (letter == "a" and len(digits) < 2):
            continue
        if letter == "M" and len(digits) > 3:
            continue
        before = _WORD_BEFORE.search(text, max(0, m.start() - 24), m.start())
        if before and before[1].lower() in _NAMES_A_MODEL:
            continue
        hits.append(Hit(*m.span(), "road", letter.upper() + digits + ("(M)" if m[3] else "")))
    return hits


_ABBREVIATIONS = {"gt": "great", "st": "saint", "lt": "little", "mkt": "market"}


def _key(name: str) -> str:
    """One spelling for every way of writing a place: "Gt. Massingham", "kings lynn"."""
    words = re.split(r"[\s\-]+", name.lower().replace("'", "").strip())
    return " ".join(_ABBREVIATIONS.get(w.rstrip("."), w) for w in words if w)


def _name_pattern(name: str) -> str:
    parts = []
    for word in _key(name).split(" "):
        if word in _ABBREVIATIONS.values():
            short = next(k for k, v in _ABBREVIATIONS.items() if v == word)
            parts.append(rf"(?:{word}|{short}\.?)")
        elif word.endswith("s") and len(word) > 2:
            parts.append(re.escape(word[:-1]) + "'?s")  # "King's Lynn" or "Kings Lynn"
        else:
            parts.append(re.escape(word))
    return r"[\s\-]+".join(parts)


class _Gazetteer:
    """A compiled gazetteer; compiled once per list of names."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.canonical: dict[str, str] = {}
        for name in names:
            key = _key(name)
            if key and any(ch.isalnum() for ch in key):
                self.canonical.setdefault(key, " ".join(name.split()))
        patterns = sorted((_name_pattern(k) for k in self.canonical), key=len, reverse=True)
        body = "|".join(patterns) or r"(?!)"
        self.pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
        # Long one-word names are the ones people misspell, and the ones a single slip
        # cannot turn into an ordinary word ("Docking" is one slip from "decking").
        self.long_names = [k for k in self.canonical if " " not in k and len(k) >= 8]

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def of(names: tuple[str, ...]) -> _Gazetteer:
        return _Gazetteer(names)

    def find(self, text: str) -> list[Hit]:
        hits = []
        for m in self.pattern.finditer(text):
            name = self.canonical.get(_key(m[0]))
            if name is not None:
                hits.append(Hit(*m.span(), "place", name))
        return hits

    def find_misspelt(self, text: str) -> list[Hit]:
        """Long names written with one slip: "Snetisham", "Hunstaton", "Sedgeford"."""
        hits = []
        for m in re.finditer(r"(?<![\w'])[^\W\d_]{7,}(?![\w'])", text):
            word = m[0].lower()
            for key in self.long_names:
                if key[0] == word[0] and _one_slip(word, key):
                    hits.append(Hit(*m.span(), "place", self.canonical[key]))
                    break
        return hits


def _one_slip(a: str, b: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped (a != b)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]
