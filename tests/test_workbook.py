"""The spreadsheet workbook (`smsgw reports export`, the console's download) and the
reports page's chart of patrol visits against sightings per point: real databases, a real
command-line process, a real console server, the workbook read back with openpyxl."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from procs import SMSGW
from sighting_filing import KEEPER, OFFICER, STRANGER, file, make_desk
from sqlalchemy import Engine, select
from web_client import signed_in

from gateway.alerts.service import Alerts
from gateway.app import workbook
from gateway.app.reports import Period
from gateway.core import audit, clock, config
from gateway.core.db import utcnow
from gateway.core.models import Sighting
from gateway.core.privacy import mask
from gateway.rota.patrol_visits import record_visit
from gateway.rota.patrols import Patrols
from gateway.sightings.desk import Sightings
from gateway.subscribers.service import Subscribers

LONDON = ZoneInfo("Europe/London")
FORMULA = '=HYPERLINK("http://example.invalid","x") KX19 ABC at Docking'


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


def today() -> date:
    return clock.to_local(utcnow(), LONDON).date()


def patrols(engine: Engine, db_url: str) -> Patrols:
    return Patrols(engine, config.from_dict({"database": {"url": db_url}}))


def records(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, object]]:
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def fill(engine: Engine, db_url: str, desk: Sightings) -> None:
    """A placed sighting with a formula in it, a stranger's one, an alert, a visit."""
    seen = file(desk, KEEPER, FORMULA)
    file(desk, STRANGER, "lurchers at Bircham")
    subscribers = Subscribers(engine)
    subscribers.add_list("Docking farms", "DOCKING")
    subscribers.join(KEEPER, "DOCKING", method="officer", by="pc")
    Alerts(engine, desk.outbox, subscribers).create("-1 silver Subaru", ["DOCKING"], by="op1")
    with engine.connect() as conn:
        lat, lon = conn.execute(
            select(Sighting.lat, Sighting.lon).where(Sighting.ref == seen.ref)
        ).one()
    assert lat is not None and lon is not None  # placed from the gazetteer's Docking
    patrols(engine, db_url).add("GATE7", "Docking gate", f"{lat},{lon}")
    record_visit(
        engine,
        "GATE7",
        officer="PC Siân Jones",
        phone=OFFICER,
        notes="+KX19 ABC parked",
        registrations=["KX19 ABC"],  # what the patrol desk reads from the notes
    )


def test_the_workbook_has_typed_cells_and_quotes_formulas(
    engine: Engine, db_url: str, desk: Sightings
) -> None:
    fill(engine, db_url, desk)
    period = Period(today(), today(), LONDON)
    book = openpyxl.load_workbook(io.BytesIO(workbook.export(engine, period, show_numbers=True)))
    assert book.sheetnames == ["Sightings", "Alerts", "Patrols"]
    sightings = book["Sightings"]
    first = records(sightings)[0]
    assert first["text"] == "'" + FORMULA and first["from"] == "'" + KEEPER
    assert first["registrations"] == "KX19 ABC" and first["place"] == "Docking"
    assert isinstance(first["received"], datetime) and isinstance(first["lat"], float)
    received = sightings.cell(2, 2)
    assert received.is_date and received.number_format == workbook.DATE_FORMAT
    assert all(c.data_type != "f" for row in sightings.iter_rows() for c in row)
    [alert] = records(book["Alerts"])
    assert (alert["by"], alert["lists"], alert["recipients"]) == ("op1", "Docking farms", 1)
    assert alert["text"] == "'-1 silver Subaru"
    [visit] = records(book["Patrols"])
    assert (visit["code"], visit["point name"]) == ("GATE7", "Docking gate")
    assert visit["officer"] == "PC Siân Jones" and visit["notes"] == "'+KX19 ABC parked"
    assert isinstance(visit["at"], datetime) and visit["registrations"] == "KX19 ABC"
    local = clock.to_local(utcnow(), LONDON).replace(tzinfo=None)
    assert abs((local - visit["at"]).total_seconds()) < 120  # local time, not UTC


def test_smsgw_reports_export_writes_the_workbook(
    tmp_path: Path, engine: Engine, db_url: str, desk: Sightings
) -> None:
    fill(engine, db_url, desk)
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n')
    out = tmp_path / "week.xlsx"
    run = [*SMSGW, "reports", "export", str(out), "--config", str(cfg)]
    done = subprocess.run([*run, "--mask-numbers"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert len(records(book["Sightings"])) == 2 and len(records(book["Patrols"])) == 1
    assert records(book["Sightings"])[0]["from"] == "'" + mask(KEEPER)
    bad = subprocess.run([*run, "--from", "soon"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_the_console_offers_the_workbook_with_viewers_numbers_masked(
    console: str, engine: Engine, db_url: str, desk: Sightings
) -> None:
    fill(engine, db_url, desk)
    page = signed_in(console, "viewer1").get("/reports/").body
    link = re.search(r'id="workbook-xlsx" href="([^"]+)"', page)
    assert link is not None
    for user, sender in (("viewer1", "'" + mask(KEEPER)), ("operator1", "'" + KEEPER)):
        browser = signed_in(console, user)
        with browser.opener.open(console + link.group(1).replace("&amp;", "&")) as reply:
            assert reply.headers["Content-Type"].startswith("application/vnd.openxml")
            book = openpyxl.load_workbook(io.BytesIO(reply.read()))
        assert records(book["Sightings"])[0]["from"] == sender
        assert records(book["Patrols"])[0]["code"] == "GATE7"
    exports = audit.entries(engine, action="workbook-exported")
    assert sorted(e.actor for e in exports) == ["operator1", "viewer1"]
    assert signed_in(console, "viewer1").get("/reports/workbook.xlsx?from=x").status == 400


def test_the_chart_shows_visits_and_sightings_per_point(
    console: str, engine: Engine, db_url: str, desk: Sightings
) -> None:
    fill(engine, db_url, desk)
    patrols(engine, db_url).add("LAY2", "Far lay-by", "TG 100 300")  # nowhere near Docking
    body = signed_in(console, "viewer1").get("/reports/").body
    chart = re.search(r'<svg id="per-point".*?</svg>', body, re.S)
    assert chart is not None
    assert re.findall(r"<title>([^<]+)</title>", chart.group(0)) == [
        "GATE7 Docking gate: 1 visits",
        "GATE7 Docking gate: 1 sightings",
        "LAY2 Far lay-by: 0 visits",
        "LAY2 Far lay-by: 0 sightings",
    ]
