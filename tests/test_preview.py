"""The alert preview and the finish estimate.

Parts are checked against `hardware.pdu.segments` (what the encoder will do) over
arbitrary texts, and for a sample against libgammu's own splitter, written apart from ours.
"""

from __future__ import annotations

import math
from typing import Any

import gammu  # type: ignore[import-not-found]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.alerts.cost import (
    ModemRate,
    PreviewError,
    compose,
    estimate_finish,
    preview,
)
from gateway.alerts.smart_text import Replacement
from hardware.pdu import segments

FOOTER = "Reply STOP to opt out"


def test_a_short_plain_alert_is_one_gsm_part_per_recipient() -> None:
    p = preview("Sheep rustlers near Docking. Call 999.", recipients=250)
    assert (p.encoding, p.parts, p.recipients, p.total_parts) == ("gsm7", 1, 250, 250)
    assert p.characters == p.units == len("Sheep rustlers near Docking. Call 999.")
    assert p.replaced == () and p.unencodable == ()


def test_the_footer_goes_on_its_own_line_and_is_counted() -> None:
    body = "x" * (160 - len(FOOTER) - 1)
    p = preview(body, footer=FOOTER)
    assert p.text == f"{body}\n{FOOTER}"
    assert (p.characters, p.units, p.parts) == (160, 160, 1)
    assert preview(body + "y", footer=FOOTER).parts == 2  # one more character tips it over


def test_smart_encoding_keeps_a_pasted_alert_at_gsm_rates() -> None:
    pasted = "Police: “Don’t approach” – call 999 " * 4
    smart = preview(pasted, recipients=100)
    plain = preview(pasted, recipients=100, smart=False)
    assert (smart.encoding, smart.parts, smart.total_parts) == ("gsm7", 1, 100)
    assert (plain.encoding, plain.parts, plain.total_parts) == ("ucs2", 3, 300)
    assert Replacement("’", "'", 4) in smart.replaced
    assert plain.replaced == ()
    assert plain.unencodable == ("“", "’", "”", "–")


def test_the_footer_is_smartened_too() -> None:
    p = preview("Alert", footer="Reply ‘STOP’ to opt out")
    assert p.text == "Alert\nReply 'STOP' to opt out"
    assert p.encoding == "gsm7"


def test_an_emoji_keeps_the_alert_in_ucs2_and_is_flagged() -> None:
    p = preview("Road closed 🚧 at Docking")
    assert p.encoding == "ucs2"
    assert p.unencodable == ("🚧",)
    assert p.characters == 24  # code points
    assert p.units == 25  # the emoji is a surrogate pair in UTF-16


def test_extension_characters_cost_two_septets() -> None:
    p = preview("Reward €500 [info]")
    assert p.characters == 18
    assert p.units == 21


def test_browser_line_ends_and_outer_blank_space_cost_nothing() -> None:
    assert compose("  line one\r\nline two\r\n\r\n", FOOTER) == f"line one\nline two\n{FOOTER}"
    assert compose("body", "   ") == "body"
    assert compose("", FOOTER) == FOOTER
    assert preview("a\r\nb").units == 3


def test_a_long_alert_splits_at_153_septets() -> None:
    p = preview("x" * 307, recipients=3)
    assert (p.parts, p.total_parts) == (3, 9)


@pytest.mark.parametrize("recipients", [-1, -100])
def test_a_negative_recipient_count_is_refused(recipients: int) -> None:
    with pytest.raises(PreviewError, match="negative"):
        preview("x", recipients=recipients)


def test_a_text_beyond_255_parts_is_a_preview_error_not_a_crash() -> None:
    with pytest.raises(PreviewError, match="255"):
        preview("x" * (153 * 255 + 1))


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=500),
    st.text(max_size=40),
    st.integers(min_value=0, max_value=30_000),
    st.booleans(),
)
def test_parts_agree_with_the_encoder(text: str, footer: str, recipients: int, smart: bool) -> None:
    p = preview(text, footer=footer, recipients=recipients, smart=smart)
    split = segments(p.text)
    assert (p.encoding, p.units, p.parts) == (split.encoding, split.units, split.parts)
    assert p.total_parts == p.parts * recipients
    assert p.characters == len(p.text)
    assert (p.encoding == "gsm7") == (p.unencodable == ())


def _gammu_parts(text: str) -> int:
    unicode = segments(text).encoding == "ucs2"
    entries = [{"ID": "ConcatenatedTextLong", "Buffer": text}]
    result: list[dict[str, Any]] = gammu.EncodeSMS(
        {"Class": -1, "Unicode": unicode, "Entries": entries}
    )
    return len(result)


@pytest.mark.parametrize(
    ("text", "footer"),
    [
        ("Sheep rustlers near Docking", FOOTER),
        ("x" * 139, FOOTER),  # 160 with the footer: one part
        ("x" * 140, FOOTER),  # 161: two
        ("€" * 80, ""),  # 160 septets
        ("€" * 81, ""),  # an escape never split from its character
        ("Police: “Don’t approach” – call 999 " * 9, FOOTER),
        ("Road closed 🚧 " * 12, FOOTER),
        ("Żółć " * 30, ""),
    ],
)
def test_parts_agree_with_libgammu(text: str, footer: str) -> None:
    p = preview(text, footer=footer)
    assert p.parts == _gammu_parts(p.text)


# -- estimate_finish --------------------------------------------------------------------


def test_one_unlimited_modem_takes_count_over_rate() -> None:
    e = estimate_finish(600, [ModemRate("dongle1", 10.0, None)])
    assert e.seconds == pytest.approx(3600)
    assert (e.covered, e.shortfall, e.sendable_today, e.per_minute) == (True, 0, 600, 10.0)


def test_modems_share_the_work_at_their_combined_rate() -> None:
    e = estimate_finish(300, [ModemRate("a", 20.0, None), ModemRate("b", 10.0, None)])
    assert e.seconds == pytest.approx(600)
    assert e.per_minute == 30.0


def test_when_one_modem_spends_its_budget_the_others_carry_on_alone() -> None:
    # a: 20 at 10/min, spent after 120 s; b has sent 10 by then and sends the other 70
    # at 5/min: 840 s more.
    e = estimate_finish(100, [ModemRate("a", 10.0, 20), ModemRate("b", 5.0, None)])
    assert e.seconds == pytest.approx(960)
    assert e.covered


def test_budgets_that_cannot_cover_the_alert_give_the_shortfall() -> None:
    e = estimate_finish(100, [ModemRate("a", 10.0, 20), ModemRate("b", 5.0, 30)])
    assert (e.covered, e.shortfall, e.sendable_today) == (False, 50, 50)
    assert e.seconds == pytest.approx(360)  # b's last message, when sending stops today


def test_exactly_spent_budgets_still_cover_the_alert() -> None:
    e = estimate_finish(50, [ModemRate("a", 7.0, 20), ModemRate("b", 3.0, 30)])
    assert e.covered and e.shortfall == 0
    assert e.seconds == pytest.approx(600)  # b: 30 at 3/min


def test_a_modem_that_is_not_sending_adds_neither_rate_nor_budget() -> None:
    e = estimate_finish(50, [ModemRate("down", 0.0, 500), ModemRate("b", 5.0, 30)])
    assert (e.covered, e.shortfall, e.per_minute) == (False, 20, 5.0)
    assert e.seconds == pytest.approx(360)


def test_with_no_modem_sending_nothing_can_finish() -> None:
    e = estimate_finish(10, [ModemRate("down", 0.0, None)])
    assert e.seconds is None
    assert (e.covered, e.shortfall, e.sendable_today) == (False, 10, 0)
    assert estimate_finish(10, []).seconds is None


def test_nothing_to_send_is_done_at_once() -> None:
    e = estimate_finish(0, [])
    assert (e.seconds, e.covered, e.shortfall) == (0.0, True, 0)


def test_a_negative_budget_counts_as_spent() -> None:
    e = estimate_finish(10, [ModemRate("a", 10.0, -3), ModemRate("b", 10.0, 10)])
    assert (e.covered, e.sendable_today) == (True, 10)
    assert e.seconds == pytest.approx(60)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_rate_that_is_not_a_number_is_refused(bad: float) -> None:
    with pytest.raises(PreviewError):
        estimate_finish(10, [ModemRate("a", bad, None)])


def test_a_negative_message_count_is_refused() -> None:
    with pytest.raises(PreviewError):
        estimate_finish(-1, [])


RATES = st.lists(
    st.builds(
        ModemRate,
        st.just("m"),
        st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=120.0)),
        st.one_of(st.none(), st.integers(min_value=0, max_value=2000)),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=5000), RATES)
def test_at_the_estimated_time_the_modems_have_sent_what_they_can(
    total: int, modems: list[ModemRate]
) -> None:
    e = estimate_finish(total, modems)
    assert e.sendable_today + e.shortfall == total
    if e.seconds is None:
        assert e.sendable_today == 0 and total > 0
        return
    sending = [m for m in modems if m.per_minute > 0]

    def sent(t: float) -> float:
        return sum(
            min(m.per_minute * t / 60, math.inf if m.left_today is None else m.left_today)
            for m in sending
        )

    assert sent(e.seconds) == pytest.approx(e.sendable_today, rel=1e-9, abs=1e-6)
    if e.sendable_today:
        assert sent(e.seconds * 0.999) < e.sendable_today  # and not a moment before
