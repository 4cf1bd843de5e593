"""Alert templates on a real migrated SQLite file, and the safe field parser.

A template body is user input: the tests that matter most are the bodies that would make
str.format read attributes or call repr, refused both when stored and when rendered.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from gateway.alerts.cost import preview
from gateway.alerts.templates import Template, TemplateError, Templates, fields, render

SHIPPED_FIELDS = [
    "reference",
    "colour",
    "make_model",
    "registration",
    "where",
    "time",
    "direction",
    "action",
]
SIGHTING = {
    "reference": "A1042",
    "colour": " silver ",
    "make_model": "Toyota Hilux",
    "registration": "kx19abc",
    "where": "B1153 near Docking",
    "time": "22:30",
    "direction": "north",
    "action": "Do not approach. Call 999.",
}

UNSAFE = [
    "{x.__class__}",
    "{x.__class__.__mro__}",
    "{x!r}",
    "{x!s}",
    "{x:>10}",
    "{x[0]}",
    "{0}",
    "{}",
    "{ x }",
    "{x-y}",
    "{1x}",
    "{x",
    "x}",
    "{{x}",
    "{x}}",
    "{{x}}}",
]


def test_the_shipped_suspect_vehicle_template_is_there(engine: Engine) -> None:
    shipped = Templates(engine).get("suspect vehicle")
    assert shipped is not None
    assert shipped.created_by == "smsgw"
    assert shipped.fields == SHIPPED_FIELDS


def test_the_shipped_template_renders_a_gsm_alert(engine: Engine) -> None:
    shipped = Templates(engine).get("suspect vehicle")
    assert shipped is not None
    text = render(shipped, SIGHTING)
    assert text == (
        "POLICE ALERT A1042: suspect vehicle silver Toyota Hilux KX19 ABC, seen B1153 near "
        "Docking at 22:30, heading north. Do not approach. Call 999."
    )
    alone = preview(text, recipients=40)
    assert (alone.encoding, alone.parts, alone.total_parts) == ("gsm7", 1, 40)
    # A typical filling leaves too little room for an opt-out footer in one part.
    footed = preview(text, footer="Reply STOP to opt out", recipients=40)
    assert (footed.encoding, footed.parts, footed.total_parts) == ("gsm7", 2, 80)


def test_a_template_is_added_listed_and_found_by_name_in_any_case(engine: Engine) -> None:
    templates = Templates(engine)
    added = templates.add("  Livestock   theft ", "{count} {animal} taken from {farm}", "sgt.jones")
    assert added.name == "Livestock theft"
    assert added.created_by == "sgt.jones"
    assert templates.get("LIVESTOCK THEFT") == added
    assert [t.name for t in templates.all()] == ["Livestock theft", "suspect vehicle"]
    assert added.fields == ["count", "animal", "farm"]


def test_a_name_taken_in_any_case_is_refused(engine: Engine) -> None:
    templates = Templates(engine)
    with pytest.raises(TemplateError, match="exists already"):
        templates.add("Suspect Vehicle", "{x}", "sgt.jones")
    assert len(templates.all()) == 1


def test_a_name_must_be_given_and_fit(engine: Engine) -> None:
    templates = Templates(engine)
    with pytest.raises(TemplateError, match="name"):
        templates.add("   ", "body", "sgt.jones")
    with pytest.raises(TemplateError, match="name"):
        templates.add("x" * 65, "body", "sgt.jones")
    with pytest.raises(TemplateError, match="body"):
        templates.add("empty", "  \n ", "sgt.jones")


@pytest.mark.parametrize("body", UNSAFE)
def test_a_body_that_is_not_plain_fields_is_refused_when_added(engine: Engine, body: str) -> None:
    templates = Templates(engine)
    with pytest.raises(TemplateError):
        templates.add("bad", f"Alert {body} now", "sgt.jones")
    assert templates.get("bad") is None


@pytest.mark.parametrize("body", UNSAFE)
def test_a_body_that_is_not_plain_fields_is_refused_when_rendered(body: str) -> None:
    with pytest.raises(TemplateError):
        render(f"Alert {body} now", {"x": "1", "0": "zero"})


def test_the_error_says_what_a_field_may_be() -> None:
    with pytest.raises(TemplateError, match=r"plain name") as caught:
        render("{x.__class__}", {"x": "1"})
    assert "'{x.__class__}'" in str(caught.value)
    with pytest.raises(TemplateError, match=r"unmatched '\{' at character 7; write \{\{"):
        render("Alert { now", {})


def test_doubled_braces_are_literal_braces() -> None:
    assert render("{{not a field}} {x} {{{x}}}", {"x": "1"}) == "{not a field} 1 {1}"
    assert fields("{{x}} {y}") == ["y"]


def test_missing_and_blank_fields_are_named_together_in_order() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{a} {b} {c} {a}", {"b": "   ", "z": "ignored"})
    assert caught.value.missing == ("a", "b", "c")
    assert str(caught.value) == "no value for a, b, c"


def test_extra_fields_are_ignored_and_values_are_tidied() -> None:
    text = render("[{where}]", {"where": "  Docking \n  crossroads ", "unused": "x"})
    assert text == "[Docking crossroads]"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("kx19abc", "KX19 ABC"),
        (" KX 19-ABC ", "KX19 ABC"),
        ("a123bcd", "A123 BCD"),
        ("yr68 partial", "YR68 PARTIAL"),  # not a whole plate: kept, upper-cased
        ("wu62 x??", "WU62 X??"),
    ],
)
def test_a_registration_field_gets_the_standard_spacing(typed: str, shown: str) -> None:
    assert render("reg {registration}", {"registration": typed}) == f"reg {shown}"


def test_a_value_is_never_read_as_a_template() -> None:
    assert render("{a} {b}", {"a": "{b}", "b": "{a.__class__}"}) == "{b} {a.__class__}"


def test_a_value_that_is_not_text_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="must be text"):
        render("{n}", {"n": 3})  # type: ignore[dict-item]


def test_fields_lists_each_once_in_order_of_appearance() -> None:
    assert fields("{b} {a} {b} {c_1}") == ["b", "a", "c_1"]
    assert fields("no fields") == []


def test_the_service_offers_render_and_fields_too(engine: Engine) -> None:
    templates = Templates(engine)
    assert templates.fields("{x} {y}") == ["x", "y"]
    assert templates.render("{x}", {"x": "1"}) == "1"
    shipped = templates.get("suspect vehicle")
    assert isinstance(shipped, Template)
    assert templates.render(shipped, SIGHTING) == render(shipped.body, SIGHTING)


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
LITERAL = st.text(max_size=20).map(lambda s: s.replace("{", "{{").replace("}", "}}"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(LITERAL, NAMES), max_size=6), LITERAL)
def test_any_body_of_literals_and_names_renders_every_field(
    pieces: list[tuple[str, str]], tail: str
) -> None:
    body = "".join(f"{lit}{{{name}}}" for lit, name in pieces) + tail
    values = {name: f"<{name}>" for _, name in pieces}
    text = render(body, values)
    expected = "".join(
        lit.replace("{{", "{").replace("}}", "}") + values[name] for lit, name in pieces
    )
    assert text == expected + tail.replace("{{", "{").replace("}}", "}")
    assert fields(body) == list(dict.fromkeys(name for _, name in pieces))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_body_renders_or_raises_a_template_error(body: str) -> None:
    try:
        names = fields(body)
    except TemplateError:
        return
    assert render(body, dict.fromkeys(names, "v")).count("v") >= len(names)
