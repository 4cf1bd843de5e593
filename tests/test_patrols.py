"""Patrol points (issue 19): adding and listing them, their QR code read back by zxing-cpp,
the suggested patrols and the A4 briefing sheet, through the service and `smsgw`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from test_badge import decode

from gateway.cli import main
from gateway.core import config as config_mod
from gateway.core.models import PatrolVisit, Sighting
from gateway.rota.patrols import PatrolError, Patrols

NUMBER = "+447700900000"
NOW = datetime(2026, 12, 14, 12, 0)


def _config(tmp_path: Path, db_url: str) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n[gateway]\nnumber = "{NUMBER}"\n')
    return cfg


def _sighting(engine: Engine, ref: str, at: datetime, lat: float | None, lon: float | None) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Sighting),
            {
                "ref": ref,
                "sender": "+447700900101",
                "text": f"hare coursers {ref}",
                "created_at": at,
                "lat": lat,
                "lon": lon,
                "place": "",
            },
        )


def test_add_stores_the_code_in_upper_case_placed_from_the_grid_ref(engine: Engine) -> None:
    patrols = Patrols(engine, config_mod.Config())
    p = patrols.add("gate1", "Field gate, Docking road", "TF 783 385")
    assert p.code == "GATE1" and p.lat is not None and 52.8 < p.lat < 53.0
    assert patrols.point("Gate1") == p
    with pytest.raises(PatrolError) as err:
        patrols.add("GATE1", "again")
    assert err.value.code == "exists"
    with pytest.raises(PatrolError):
        patrols.add("no spaces", "bad code")


def test_the_qr_png_decodes_to_smsto_number_patrol_code(tmp_path: Path, db_url: str) -> None:
    cfg = str(_config(tmp_path, db_url))
    assert main(["patrols", "add", "lay1", "--name", "Lay-by A149", "--config", cfg]) == 0
    out = tmp_path / "lay1.png"
    assert main(["qr", "--patrol", "LAY1", "--out", str(out), "--config", cfg]) == 0
    assert decode(out).text == f"SMSTO:{NUMBER}:PATROL LAY1 "
    assert main(["qr", "--patrol", "NOPE", "--out", str(out), "--config", cfg]) == 2


def test_patrols_json_lists_the_points(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(_config(tmp_path, db_url))
    main(["patrols", "add", "B2", "--name", "Gate", "--location", "TF 783 385", "--config", cfg])
    main(["patrols", "add", "A1", "--name", "Lay-by", "--config", cfg])
    capsys.readouterr()
    assert main(["patrols", "--json", "--config", cfg]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in rows] == ["A1", "B2"]
    assert set(rows[0]) == {"code", "name", "location", "lat", "lon"}
    assert rows[0]["lat"] is None and rows[1]["location"] == "TF 783 385"


def test_suggested_ranks_by_reports_near_then_time_since_visit(engine: Engine) -> None:
    patrols = Patrols(engine, config_mod.Config())
    busy = patrols.add("BUSY", "Near the reports", "52.90,0.63")
    quiet = patrols.add("QUIET", "Visited", "52.50,0.20")
    never = patrols.add("NEVER", "Never visited", "52.60,0.40")
    for i in range(3):  # ~1 km from BUSY, at 21:xx London time (UTC in December)
        _sighting(engine, f"S{i}", NOW - timedelta(days=1, hours=i * 24 - 9), 52.909, 0.63)
    _sighting(engine, "S9", NOW - timedelta(days=20), 52.90, 0.63)  # too old
    _sighting(engine, "S8", NOW - timedelta(hours=2), 52.95, 0.63)  # 5.5 km: not near
    with engine.begin() as conn:
        conn.execute(
            insert(PatrolVisit),
            {
                "point_id": quiet.id,
                "officer": "PC Test",
                "phone": "+447700900102",
                "at": NOW - timedelta(hours=5),
                "notes": "",
            },
        )
    s = patrols.suggested(days=14, now=NOW)
    assert [r.point.code for r in s.points] == ["BUSY", "NEVER", "QUIET"]
    assert s.points[0].reports == 3 and s.points[0].point == busy
    assert s.points[1].point == never and s.points[1].hours_since_visit is None
    assert s.points[2].hours_since_visit == pytest.approx(5.0)
    assert s.busiest_hours[0] == (21, 3)


def test_the_sheet_is_a4_with_each_point_and_its_near_sightings(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    cfg = str(_config(tmp_path, db_url))
    Patrols(engine, config_mod.Config()).add("GATE1", "Field gate", "52.90,0.63")
    _sighting(engine, "S1042", datetime.now() - timedelta(days=1), 52.905, 0.63)
    out = tmp_path / "sheet.svg"
    assert main(["patrols", "sheet", "--out", str(out), "--config", cfg]) == 0
    root = ET.parse(out).getroot()
    assert root.get("width") == "210mm" and root.get("height") == "297mm"
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "GATE1  Field gate" in text and "S1042" in text and "1 reports near" in text
