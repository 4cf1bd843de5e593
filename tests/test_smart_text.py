"""Smart encoding: typography pasted from Word becomes GSM, and nothing else changes.

The cost is the point: one curly quote sends a whole alert as UCS-2, so the first tests
count parts. Then a table of what is replaced and what must be left, then properties:
GSM text passes untouched, the result never gains a character outside the alphabet, and
a second pass changes nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.alerts.smart_text import TABLE, Replacement, Smartened, gsm_only, smarten, unencodable
from hardware.pdu import gsm7, segments

GSM_CHARS = [c for c in gsm7.MAIN if c != "\x1b"] + sorted(gsm7.EXTENSION_CHARS)
FAST = settings(max_examples=300, deadline=None)


def test_a_word_pasted_alert_costs_one_part_not_three() -> None:
    pasted = ("Police say: “Don’t approach” – call 999 " * 4)[:160]
    assert segments(pasted).encoding == "ucs2"
    assert segments(pasted).parts == 3
    smart = smarten(pasted).text
    assert segments(smart).encoding == "gsm7"
    assert segments(smart).parts == 1


def test_it_reports_each_replacement_with_its_count_in_order_of_appearance() -> None:
    result = smarten("It’s “here”… isn’t it")
    assert result.text == "It's \"here\"... isn't it"
    assert result.replaced == (
        Replacement("’", "'", 2),
        Replacement("“", '"', 1),
        Replacement("”", '"', 1),
        Replacement("…", "...", 1),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("‘single’ ‚low‛", "'single' 'low'"),
        ("“double” „low‟", '"double" "low"'),
        ("«guillemets» ‹single›", "\"guillemets\" 'single'"),
        ("6′2″ tall", "6'2\" tall"),
        ("`back` and ´acute´", "'back' and 'acute'"),
        ("en–dash em—dash bar―", "en-dash em-dash bar-"),
        ("figure‒dash hyphen‐non‑breaking", "figure-dash hyphen-non-breaking"),
        ("minus −5", "minus -5"),
        ("wait…", "wait..."),
        ("no\u00a0break thin\u2009space narrow\u202fspace", "no break thin space narrow space"),
        (
            "figure\u2007em\u2003en\u2002hair\u200aideographic\u3000end",
            "figure em en hair ideographic end",
        ),
        ("tab\there", "tab here"),
        ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
        ("\ufeffBOM at the start", "BOM at the start"),
        ("word\u2060joiner \u200emark\u200f", "wordjoiner mark"),
        ("line\u2028separator", "line\nseparator"),
        ("• first\n• second", "- first\n- second"),
        ("ﬁeld ﬂock", "field flock"),
        ("½ mile, 2½ miles, ¾", "1/2 mile, 2 1/2 miles, 3/4"),
        ("Ｆｕｌｌ ｗｉｄｔｈ！", "Full width!"),
        ("𝗣𝗢𝗟𝗜𝗖𝗘 𝐀𝐋𝐄𝐑𝐓", "POLICE ALERT"),
        ("4×4 pickup", "4x4 pickup"),
        ("Neighbourhood Watch™ ©2026", "Neighbourhood WatchTM (c)2026"),
        ("№ 5, ℅ the farm", "No 5, c/o the farm"),
        ("ohm sign \u2126", "ohm sign Ω"),  # the ohm sign is canonically omega, in GSM
        ("cafe\u0301 and n\u0303", "café and ñ"),  # combining accents composed into GSM letters
        ("stray selector!\ufe0f", "stray selector!"),
    ],
)
def test_it_replaces_typography_with_its_gsm_equivalent(text: str, expected: str) -> None:
    result = smarten(text)
    assert result.text == expected
    assert gsm_only(result.text)


@pytest.mark.parametrize(
    "text",
    [
        "Emoji 🚨 stays",
        "Family 👨‍👩‍👧 keeps its joiners",
        "Heart ❤️ keeps its selector",
        "Łódź and łąka",
        "Привет",
        "中文",
        "á í ó ú ç â ê",  # accented letters outside GSM: changing spelling is not ours
        "10³ and m²",  # superscripts would change the number
        "① circled",
        "µ micro",  # NFKC gives Greek mu, which is not GSM either
        "° degrees",
    ],
)
def test_it_leaves_what_has_no_gsm_equivalent(text: str) -> None:
    result = smarten(text)
    kept = [ch for ch in text if not gsm7.is_gsm(ch) and ch not in TABLE]
    for ch in kept:
        assert ch in result.text
    assert not gsm_only(result.text)


def test_a_mixed_text_loses_its_typography_but_keeps_its_emoji() -> None:
    result = smarten("“Stay in” 🚨 – now")
    assert result.text == '"Stay in" 🚨 - now'
    assert unencodable(result.text) == ("🚨",)


def test_it_never_changes_the_gsm_letters_nfkc_could_touch() -> None:
    text = "é ñ Ä ü Å Ø ß Ç à Δ Ω € [~]"
    assert smarten(text) == Smartened(text, ())


def test_unencodable_names_each_character_once_in_order() -> None:
    assert unencodable("a 🚨 ł b 🚨 ł") == ("🚨", "ł")
    assert unencodable("plain GSM £€") == ()


@FAST
@given(st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=300))
def test_gsm_text_passes_untouched(text: str) -> None:
    result = smarten(text)
    assert result.text == text
    assert result.replaced == ()


MIXED = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_CHARS),
        st.sampled_from(sorted(TABLE)),
        st.sampled_from(list("½ﬁＡ𝐀\u0301\u0303\ufe0f\u200d🚨łЖ中³µ")),
        st.characters(codec="utf-8"),
    ),
    max_size=200,
)


@FAST
@given(MIXED)
def test_it_adds_no_character_outside_the_alphabet_and_a_second_pass_changes_nothing(
    text: str,
) -> None:
    once = smarten(text)
    assert set(unencodable(once.text)) <= set(unencodable(text))
    assert all(r.count >= 1 and r.original != r.replacement for r in once.replaced)
    again = smarten(once.text)
    assert again.text == once.text
    assert again.replaced == ()


@FAST
@given(st.text(alphabet=st.sampled_from(GSM_CHARS + sorted(TABLE)), max_size=200))
def test_typography_alone_always_ends_in_gsm(text: str) -> None:
    assert gsm_only(smarten(text).text)
