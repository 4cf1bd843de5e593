"""Typography that needs no UCS-2: a text pasted from Word should not double in cost.

One curly quote outside the GSM 03.38 alphabet sends the whole message as UCS-2, 70
characters a part (67 when joined) instead of 160 (153). Word, Outlook and phones put in
curly quotes, dashes, ellipses and odd spaces that all have a plain GSM equivalent, so
those are replaced before sending. Characters with no equivalent (emoji, Polish "ł",
Cyrillic, accented letters outside the alphabet such as "á") are left alone: changing
spelling is not ours to do, and the preview flags them instead.

Only characters outside the alphabet are touched, so "é", "ñ", "Ä", "ü" never change.
Compatibility forms (ligatures, full-width and "mathematical bold" letters, vulgar
fractions) go through NFKC, but only the kinds that keep the meaning: superscripts are
refused ("10³" must not become "103"), and so is anything whose NFKC form is still not GSM.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from hardware.pdu import gsm7

_QUOTES = {
    **dict.fromkeys("‘’‚‛′‵ʹʻʼʽ`´‹›", "'"),
    **dict.fromkeys("“”„‟″‶«»ˮ", '"'),
}
_DASHES = dict.fromkeys("‐‑‒–—―−⁃⸺⸻", "-")
# Every Unicode space but the ordinary one, and the separators that mean a new line.
_SPACES = {
    **dict.fromkeys("\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006", " "),
    **dict.fromkeys("\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\v\x85\u2028\u2029", "\n"),
}
# Invisible in any text: zero-width space, word joiner, soft hyphen, byte-order mark,
# direction marks and embeddings, invisible operators, Mongolian vowel separator.
_INVISIBLE = dict.fromkeys(
    "\u200b\u2060\u00ad\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u2061\u2062\u2063\u2064\u180e",
    "",
)
_OTHER = {
    **dict.fromkeys("•‣◦∙●▪", "-"),
    "…": "...",
    "⁄": "/",
    "∕": "/",
    "×": "x",  # "4×4" from a spell checker
    "˜": "~",
    "ˆ": "^",
    "™": "TM",
    "℠": "SM",
    "©": "(c)",
    "®": "(R)",
}
TABLE: dict[str, str] = {**_QUOTES, **_DASHES, **_SPACES, **_INVISIBLE, **_OTHER}
"""Explicit replacements, looked at before NFKC."""

# Joiners and variation selectors belong to emoji sequences ("👨‍👩‍👧", "❤️"): while an emoji
# is in the text they stay, but stray ones in a text that is otherwise GSM are dropped.
_JOINERS = frozenset("\u200c\u200d\u034f" + "".join(chr(c) for c in range(0xFE00, 0xFE10)))

# NFKC decomposition kinds whose result means the same thing ("" is a canonical one,
# such as the ohm sign for omega). Left out: <super>, <sub>, <circle>, <square>,
# <vertical> and the Arabic positional forms.
_SAFE_KINDS = frozenset({"", "compat", "font", "wide", "narrow", "noBreak", "small", "fraction"})


@dataclass(frozen=True)
class Replacement:
    original: str  # one character, or a letter with its combining accent ("e\u0301")
    replacement: str  # "" when the character was removed
    count: int


@dataclass(frozen=True)
class Smartened:
    text: str
    replaced: tuple[Replacement, ...]  # in order of first appearance


def gsm_only(text: str) -> bool:
    """True when `text` travels as GSM 7-bit (160/153 characters a part)."""
    return gsm7.is_gsm(text)


def unencodable(text: str) -> tuple[str, ...]:
    """The distinct code points that force UCS-2, in order of first appearance."""
    return tuple(dict.fromkeys(ch for ch in text if not gsm7.is_gsm(ch)))


def smarten(text: str) -> Smartened:
    """`text` with every character that has a safe GSM equivalent replaced by it."""
    counts: Counter[tuple[str, str]] = Counter()
    out: list[str] = []
    for cluster in _clusters(text):
        new = cluster if gsm7.is_gsm(cluster) else _equivalent(cluster)
        if new is None:
            out.append(cluster)
            continue
        if new != cluster:
            if _is_fraction(cluster) and out and out[-1][-1:].isdigit():
                new = " " + new  # "2½" is "2 1/2", not "21/2"
            counts[(cluster, new)] += 1
        out.append(new)
    result = "".join(out)
    if not gsm7.is_gsm(result):
        rest = "".join(ch for ch in result if ch not in _JOINERS)
        if rest != result and gsm7.is_gsm(rest):
            for ch in result:
                if ch in _JOINERS:
                    counts[(ch, "")] += 1
            result = rest
    return Smartened(result, tuple(Replacement(o, r, n) for (o, r), n in counts.items()))


def _clusters(text: str) -> list[str]:
    """Characters with their combining marks, so "e" + U+0301 can become "é"."""
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.category(ch) in ("Mn", "Me") and ch not in _JOINERS:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


@lru_cache(maxsize=1024)
def _equivalent(cluster: str) -> str | None:
    """The GSM form of a cluster outside the alphabet, or None when there is none."""
    if len(cluster) > 1:  # a letter and its accents: only a precomposed GSM letter will do
        composed = unicodedata.normalize("NFC", cluster)
        return composed if gsm7.is_gsm(composed) else None
    if cluster in TABLE:
        return TABLE[cluster]
    decomposition = unicodedata.decomposition(cluster)
    if not decomposition:
        return None
    kind = decomposition[1 : decomposition.index(">")] if decomposition[0] == "<" else ""
    if kind not in _SAFE_KINDS:
        return None
    form = "".join(TABLE.get(ch, ch) for ch in unicodedata.normalize("NFKC", cluster))
    return form if gsm7.is_gsm(form) else None


def _is_fraction(cluster: str) -> bool:
    return len(cluster) == 1 and unicodedata.decomposition(cluster).startswith("<fraction>")
