from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine

from gateway.alerts.compose import NoText, TimePassed, compose_alert
from gateway.alerts.preview import DEFAULT_PER_MINUTE, preview_alert
from gateway.alerts.service import MAX_TEXT, AlertError, Alerts
from gateway.alerts.templates import TemplateError, Templates
from gateway.core import clock
from gateway.core.config import OutboxConfig
from gateway.core.errors import GatewayError
from gateway.modems import status as modem_status
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import Subscribers

PASTED = "Suspect vehicle \u201csilver Subaru\u201d \u2013 do not approach\u2026"


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list("Docking farms", "DOCKING")
    for n in range(40):
        s.join(f"+4477009004{n:02d}", "DOCKING", method="officer", by="pc")
    return s


def test_the_preview_counts_cost_and_reach_and_flags_replacements(
    engine: Engine, subs: Subscribers
) -> None:
    shown = preview_alert(engine, subs, PASTED, ["DOCKING"], footer="Reply STOP to opt out")
    p = shown.preview
    assert p.text == 'Suspect vehicle "silver Subaru" - do not approach...\nReply STOP to opt out'
    assert (p.encoding, p.parts, p.recipients, p.total_parts) == ("gsm7", 1, 40, 40)
    assert {r.original for r in p.replaced} == {"\u201c", "\u201d", "\u2013", "\u2026"}
    kept = preview_alert(engine, subs, PASTED, ["DOCKING"], smart=False).preview
    assert kept.encoding == "ucs2" and "\u2013" in kept.unencodable


def test_the_estimate_uses_the_modems_and_warns_when_budgets_fall_short(
    engine: Engine, subs: Subscribers
) -> None:
    modem_status.record(engine, "m1", "n", state="ready", recipients_left=25)
    modem_status.record(engine, "m2", "n", state="disconnected", recipients_left=300)
    shown = preview_alert(engine, subs, "x", ["DOCKING"])
    assert [m.name for m in shown.modems] == ["m1"]  # only a modem that can send counts
    e = shown.estimate
    assert e.per_minute == DEFAULT_PER_MINUTE
    assert (e.covered, e.sendable_today, e.shortfall) == (False, 25, 15)


def test_an_alert_goes_out_as_the_preview_showed_it(engine: Engine, subs: Subscribers) -> None:
    alerts = Alerts(engine, Outbox(engine, OutboxConfig(), "n"), subs)
    made = alerts.create(PASTED, ["DOCKING"], by="op1", footer="Reply STOP to opt out")
    assert (
        made.text
        == preview_alert(
            engine, subs, PASTED, ["DOCKING"], footer="Reply STOP to opt out"
        ).preview.text
    )


NOW = datetime(2026, 7, 1, 12, 0)  # naive UTC, 13:00 BST


def test_the_compose_step_fills_a_template_or_takes_the_text(engine: Engine) -> None:
    templates = Templates(engine)
    templates.add("vehicle", "Suspect {registration} near {place}", by="admin1")
    made = compose_alert(
        templates,
        template="VEHICLE",
        fields={"registration": "kx19abc", "place": "Docking"},
        footer="Reply STOP to opt out",
        zone="Europe/London",
    )
    assert (made.text, made.footer, made.send_at) == (
        "Suspect KX19 ABC near Docking",
        "Reply STOP to opt out",
        None,
    )
    assert made.template is not None and made.template.name == "vehicle"
    typed = compose_alert(templates, text="Hare coursers at Fring", zone="Europe/London")
    assert (typed.text, typed.template) == ("Hare coursers at Fring", None)
    # A form still being typed is composed (and previewed) with its empty text.
    assert compose_alert(templates, text="", zone="Europe/London").text == ""


def test_the_compose_step_reads_the_time_to_send_on_the_gateways_clock(engine: Engine) -> None:
    made = compose_alert(
        Templates(engine), text="x", send_at="2026-07-01T18:30", zone="Europe/London", now=NOW
    )
    assert made.send_at == datetime(2026, 7, 1, 17, 30)  # 18:30 BST
    with pytest.raises(TimePassed, match="has passed"):
        compose_alert(
            Templates(engine), text="x", send_at="2026-07-01T13:00", zone="Europe/London", now=NOW
        )
    with pytest.raises(clock.BadTime, match="'tomorrow' is not an ISO time"):
        compose_alert(Templates(engine), text="x", send_at="tomorrow", zone="Europe/London")


@pytest.mark.parametrize(
    ("asked", "error", "message"),
    [
        ({}, NoText, "give text, or template with fields"),
        ({"template": "nope"}, AlertError, "no template 'nope'"),
        ({"template": "vehicle", "fields": {"place": "Docking"}}, TemplateError, "registration"),
        ({"text": "x" * MAX_TEXT, "footer": "!"}, AlertError, f"at most {MAX_TEXT} characters"),
    ],
)
def test_the_compose_step_refuses_with_a_gateway_error_that_says_why(
    engine: Engine, asked: dict[str, object], error: type[Exception], message: str
) -> None:
    templates = Templates(engine)
    templates.add("vehicle", "Suspect {registration} near {place}", by="admin1")
    with pytest.raises(error, match=message) as caught:
        compose_alert(templates, zone="Europe/London", **asked)  # type: ignore[arg-type]
    assert isinstance(caught.value, GatewayError)
