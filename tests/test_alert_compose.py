from __future__ import annotations

import pytest
from sqlalchemy import Engine

from gateway.alerts.preview import DEFAULT_PER_MINUTE, preview_alert
from gateway.alerts.service import Alerts
from gateway.core.config import OutboxConfig
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
