"""Reports on a real server: per-day and per-place SVG charts, CSV exports that a
spreadsheet opens as text, never as formulas."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sighting_filing import HOSTILE_PLACE, KEEPER, STRANGER, file, make_desk
from sqlalchemy import Engine
from web_client import signed_in

from gateway.alerts.service import Alerts
from gateway.app.reports import Period, ReportError
from gateway.core import audit, clock
from gateway.core.db import utcnow
from gateway.core.privacy import mask
from gateway.sightings.desk import Sightings
from gateway.subscribers.service import Subscribers

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


def today() -> date:
    return clock.to_local(utcnow(), LONDON).date()


def rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # so Excel reads UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_period_is_local_days_as_utc_instants() -> None:
    summer = Period(date(2026, 7, 1), date(2026, 7, 2), LONDON)
    assert (summer.start.isoformat(), summer.end.isoformat()) == (
        "2026-06-30T23:00:00",
        "2026-07-02T23:00:00",
    )
    assert len(summer.days()) == 2
    with pytest.raises(ReportError, match="ends before"):
        Period(date(2026, 7, 2), date(2026, 7, 1), LONDON)
    with pytest.raises(ReportError, match="at most 366"):
        Period(date(2025, 1, 1), date(2026, 7, 1), LONDON)


def test_the_charts_count_sightings_per_day_and_place(console: str, desk: Sightings) -> None:
    for text in ("KX19 ABC at Docking", "lurchers at Docking", "van at Bircham"):
        file(desk, KEEPER, text)
    body = signed_in(console, "viewer1").get("/reports/").body
    assert "3 sightings from" in body
    per_day = re.search(r'<svg id="per-day".*?</svg>', body, re.S)
    assert per_day is not None
    bars = re.findall(r"<title>([^<]+)</title>", per_day.group(0))
    assert len(bars) == 30 and bars[-1] == f"{today():%d %b}: 3"
    per_place = re.search(r'<svg id="per-place".*?</svg>', body, re.S)
    assert per_place is not None
    assert re.findall(r"<title>([^<]+)</title>", per_place.group(0)) == [
        "Docking: 2",
        "Bircham: 1",
    ]


def test_a_chosen_range_is_used_and_a_bad_one_refused(console: str, desk: Sightings) -> None:
    file(desk, KEEPER, "KX19 ABC at Docking")
    browser = signed_in(console, "viewer1")
    week_ago = today() - timedelta(days=7)
    body = browser.get(f"/reports/?from={week_ago - timedelta(days=2)}&to={week_ago}").body
    assert "0 sightings from" in body and body.count("<rect") == 3
    bad = browser.get(f"/reports/?from={today()}&to={week_ago}")
    assert bad.status == 400 and "the period ends before it starts" in bad.body
    assert browser.get("/reports/sightings.csv?from=soon").status == 400


def test_hostile_labels_are_escaped_in_the_svg(console: str, desk: Sightings) -> None:
    file(desk, KEEPER, f"<script>alert(2)</script> seen at {HOSTILE_PLACE}")
    body = signed_in(console, "viewer1").get("/reports/").body
    assert "<script>alert" not in body
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; Farm: 1</title>" in body


def test_the_sightings_csv_reads_back_and_neutralises_formulas(
    console: str, desk: Sightings, engine: Engine
) -> None:
    formula = '=HYPERLINK("http://example.invalid","x") KX19 ABC at Docking'
    info = file(desk, KEEPER, formula)
    file(desk, STRANGER, "@SUM(1) -2 dogs +lurchers at Bircham")
    operator = signed_in(console, "operator1")
    reply = operator.get(f"/reports/sightings.csv?from={today()}&to={today()}")
    assert reply.status == 200
    table = rows(reply.body)
    assert table[0][:3] == ["ref", "received", "status"]
    first = dict(zip(table[0], table[1], strict=True))
    assert first["ref"] == info.ref and first["text"] == "'" + formula
    assert first["registrations"] == "KX19 ABC" and first["place"] == "Docking"
    assert first["sender"] == f"'{KEEPER}"  # "+" starts a formula too
    assert table[2][-1] == "'@SUM(1) -2 dogs +lurchers at Bircham"
    masked = rows(signed_in(console, "viewer1").get("/reports/sightings.csv").body)
    assert masked[1][table[0].index("sender")] == "'" + mask(KEEPER)
    exports = audit.entries(engine, action="sightings-exported")
    assert [e.actor for e in exports] == ["viewer1", "operator1"]


def test_the_alerts_csv_has_each_alert_with_its_messages_by_state(
    console: str, engine: Engine, desk: Sightings
) -> None:
    subscribers = Subscribers(engine)
    subscribers.add_list("Docking farms", "DOCKING")
    for phone in (KEEPER, STRANGER):
        subscribers.join(phone, "DOCKING", method="officer", by="pc")
    alerts = Alerts(engine, desk.outbox, subscribers)
    made = alerts.create("-1 means trouble: silver Subaru", ["DOCKING"], by="operator1")
    table = rows(signed_in(console, "viewer1").get("/reports/alerts.csv").body)
    assert len(table) == 2
    row = dict(zip(table[0], table[1], strict=True))
    assert (row["ref"], row["created by"], row["lists"]) == (made.ref, "operator1", "Docking farms")
    assert (row["recipients"], row["queued"], row["sent"]) == ("2", "2", "0")
    assert (row["status"], row["opted_out"]) == ("sending", "0")
    assert row["text"] == "'-1 means trouble: silver Subaru"
