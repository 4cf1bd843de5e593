"""The console's patrols page on a real server: points listed for every role, added by
operators only (CSRF, errors shown, text escaped), each point's QR code read back by
zxing-cpp as the SMS it opens, the A4 briefing sheet, and the suggested patrols."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from test_badge import decode
from test_patrols import _sighting
from web_client import PASSWORD, signed_in

from gateway.core import clock, config, users
from gateway.core.db import utcnow
from gateway.rota.patrols import Patrols
from web import create_app
from web.server import ConsoleServer

NUMBER = "+447700900000"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cfg(db_url: str) -> config.Config:
    return config.from_dict({"database": {"url": db_url}, "gateway": {"number": NUMBER}})


@pytest.fixture
def site(engine: Engine, cfg: config.Config) -> Iterator[str]:
    for name in ("admin", "operator", "viewer"):
        users.add(engine, f"{name}1", PASSWORD, name)
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()


def test_an_operator_adds_a_point_and_a_viewer_sees_it_but_cannot_add(site: str) -> None:
    operator = signed_in(site, "operator1")
    token = operator.csrf("/patrols/")
    fields = {"code": "gate1", "name": "Field gate <b>Docking</b>", "location": "TF 783 385"}
    added = operator.post("/patrols/", {**fields, "csrf_token": token})
    assert added.status == 200 and added.url.endswith("/patrols/")
    assert "Patrol point GATE1 added" in added.body
    assert "Field gate &lt;b&gt;Docking&lt;/b&gt;" in added.body and "<b>Docking" not in added.body
    viewer = signed_in(site, "viewer1")
    page = viewer.get("/patrols/")
    assert page.status == 200 and "<code>GATE1</code>" in page.body and "TF 783 385" in page.body
    assert 'name="code"' not in page.body  # no form for a viewer
    mine = viewer.csrf("/patrols/")
    refused = viewer.post("/patrols/", {"code": "LAY1", "name": "x", "csrf_token": mine})
    assert refused.status == 403
    no_token = operator.post("/patrols/", {"code": "LAY2", "name": "Lay-by"})
    assert no_token.status == 400
    after = viewer.get("/patrols/").body
    assert "LAY1" not in after and "LAY2" not in after


def test_a_bad_point_shows_the_error_and_keeps_the_form_escaped(site: str) -> None:
    operator = signed_in(site, "operator1")
    token = operator.csrf("/patrols/")
    bad = operator.post(
        "/patrols/", {"code": "no spaces", "name": '"><script>x</script>', "csrf_token": token}
    )
    assert bad.status == 400 and 'role="alert"' in bad.body and "1-20 letters" in bad.body
    assert "<script>x" not in bad.body and "&lt;script&gt;x" in bad.body
    where = operator.post(
        "/patrols/",
        {"code": "GATE2", "name": "Gate", "location": "nowhere at all", "csrf_token": token},
    )
    assert where.status == 400 and 'role="alert"' in where.body
    assert "No patrol points yet." in operator.get("/patrols/").body


def test_the_qr_code_opens_an_sms_to_the_gateway_reading_patrol_code(
    site: str, engine: Engine, cfg: config.Config, tmp_path: Path
) -> None:
    Patrols(engine, cfg).add("LAY1", "Lay-by A149")
    viewer = signed_in(site, "viewer1")
    assert "/patrols/LAY1/qr.svg" in viewer.get("/patrols/").body
    png = viewer.opener.open(site + "/patrols/lay1/qr.png", timeout=10)
    assert png.headers["Content-Type"] == "image/png"
    out = tmp_path / "qr.png"
    out.write_bytes(png.read())
    assert decode(out).text == f"SMSTO:{NUMBER}:PATROL LAY1 "
    svg = viewer.opener.open(site + "/patrols/LAY1/qr.svg", timeout=10)
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert ET.fromstring(svg.read()).tag == f"{SVG}svg"
    assert viewer.get("/patrols/NOPE/qr.svg").status == 404
    assert viewer.get("/patrols/LAY1/qr.gif").status == 404


def test_suggested_patrols_and_the_briefing_sheet_put_the_busy_point_first(
    site: str, engine: Engine, cfg: config.Config
) -> None:
    patrols = Patrols(engine, cfg)
    patrols.add("QUIET", "Far away", "52.50,0.20")
    patrols.add("BUSY", "Near the reports", "52.90,0.63")
    at = utcnow() - timedelta(days=1)
    _sighting(engine, "S1042", at, 52.905, 0.63)
    _sighting(engine, "S1043", at, 52.90, 0.631)
    viewer = signed_in(site, "viewer1")
    page = viewer.get("/patrols/").body
    suggested = page.split('id="suggested"')[1].split("</table>")[0]
    assert suggested.index("BUSY") < suggested.index("QUIET")
    assert "<td>2</td>" in suggested and "never" in suggested
    hour = clock.to_local(at, cfg.gateway.timezone).hour
    assert f"{hour:02d}:00" in page.split('id="busiest"')[1] and "(2 reports)" in page
    sheet = viewer.opener.open(site + "/patrols/sheet.svg", timeout=10)
    root = ET.fromstring(sheet.read())
    assert root.get("width") == "210mm" and root.get("height") == "297mm"
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert text.index("BUSY  Near the reports") < text.index("QUIET  Far away")
    assert "S1042" in text and "2 reports near" in text


def test_without_the_gateway_number_no_qr_codes_are_offered(engine: Engine, db_url: str) -> None:
    users.add(engine, "viewer1", PASSWORD, "viewer")
    plain = config.from_dict({"database": {"url": db_url}})
    Patrols(engine, plain).add("LAY1", "Lay-by")
    server = ConsoleServer(create_app(plain, engine=engine), "127.0.0.1", 0)
    server.start()
    try:
        viewer = signed_in(server.url, "viewer1")
        assert "set <code>gateway.number</code>" in viewer.get("/patrols/").body
        assert viewer.get("/patrols/LAY1/qr.svg").status == 409
        assert viewer.get("/patrols/sheet.svg").status == 409
    finally:
        server.stop()


def test_check_ins_of_the_window_are_listed_escaped_with_their_plates_sightings(
    site: str, engine: Engine, cfg: config.Config
) -> None:
    from sqlalchemy import insert, select

    from gateway.core.field_models import Sighting, SightingVehicle
    from gateway.rota.patrol_visits import record_visit

    Patrols(engine, cfg).add("GATE7", "Field gate")
    now = utcnow()
    _sighting(engine, "S1042", now - timedelta(hours=5), None, None)
    with engine.begin() as conn:
        sid = conn.scalar(select(Sighting.id).where(Sighting.ref == "S1042"))
        conn.execute(
            insert(SightingVehicle),
            {
                "sighting_id": sid,
                "registration": "KX19 ABC",
                "sender": "+447700900101",
                "seen_at": now - timedelta(hours=5),
            },
        )
    record_visit(
        engine,
        "GATE7",
        officer="PC Hale",
        phone="+447700900222",
        notes="<script>alert(1)</script> KX19 ABC at the gate",
        registrations=["KX19 ABC"],
        at=now - timedelta(hours=2),
    )
    record_visit(
        engine,
        "GATE7",
        officer="PC Old",
        phone="+447700900223",
        notes="quiet night",
        at=now - timedelta(days=20),
    )
    viewer = signed_in(site, "viewer1")
    page = viewer.get("/patrols/").body
    visits = page.split('id="visits"')[1].split("</table>")[0]
    assert "PC Hale" in visits and "KX19 ABC" in visits
    assert '<a href="/sightings/S1042">S1042</a>' in visits
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in visits and "<script>alert" not in page
    assert "PC Old" not in visits  # 20 days ago: outside the 14-day window
    assert "900222" not in page  # the officer's number is not shown
    wider = viewer.get("/patrols/?days=30").body.split('id="visits"')[1].split("</table>")[0]
    assert wider.index("PC Hale") < wider.index("PC Old")  # newest first


def test_only_the_newest_check_ins_are_read_and_the_page_says_so(
    site: str, engine: Engine, cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.rota.patrol_visits import record_visit

    patrols = Patrols(engine, cfg)
    patrols.add("GATE7", "Field gate")
    now = utcnow()
    for hours, officer in ((3, "PC Oldest"), (2, "PC Middle"), (1, "PC Newest")):
        record_visit(
            engine, "GATE7", officer=officer, phone="+447700900222", at=now - timedelta(hours=hours)
        )
    assert [v.officer for v in patrols.visits(limit=2)] == ["PC Newest", "PC Middle"]
    monkeypatch.setattr("web.patrols.VISITS_SHOWN", 2)
    page = signed_in(site, "viewer1").get("/patrols/").body
    visits = page.split('id="visits"')[1].split("</table>")[0]
    assert "PC Newest" in visits and "PC Middle" in visits and "PC Oldest" not in visits
    assert "(the latest 2;" in page
