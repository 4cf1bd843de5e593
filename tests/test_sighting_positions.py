"""A sighting's position, read when it is filed from the best location its text gives
(gateway/sightings/locate.py), and shown as a grid reference on its page, in
`smsgw sightings --json` and in the API."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from procs import SMSGW
from sighting_filing import KEEPER, file, make_desk, received
from sqlalchemy import Engine, select
from web_client import signed_in

from gateway.core import config, geo, users
from gateway.core.models import Sighting
from gateway.outbox.queue import Outbox
from gateway.rota.service import Rota
from gateway.sightings.desk import Sightings
from gateway.sightings.locate import locate
from gateway.sightings.parser import parse
from gateway.sightings.queries import as_json


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


@pytest.mark.parametrize(
    ("text", "grid", "source"),
    [
        ("silver hilux KX19ABC at TF 7831 3851 near Docking", "TF 7831 3851", "grid_ref"),
        ("white van PE31 6RJ outside Snettisham church", "TF 690 343", "place"),
        ("two men with lamps, gate on PE31 8JF", "TF 770 350", "postcode"),
        ("quad bikes on the B1153 grid ref tf 70 30", "TF 70 30", "grid_ref"),
    ],
)
def test_the_best_location_in_the_text_gives_the_position(
    desk: Sightings, engine: Engine, text: str, grid: str, source: str
) -> None:
    info = file(desk, KEEPER, text)
    assert info.position is not None
    assert (info.position.grid, info.position.located_from) == (grid, source)
    with engine.connect() as conn:
        row = conn.execute(
            select(Sighting.lat, Sighting.lon, Sighting.located_from).where(
                Sighting.ref == info.ref
            )
        ).one()
    assert row.located_from == source
    figures = len(grid.replace(" ", "")) - 2
    assert geo.to_grid(geo.Point(row.lat, row.lon), figures) == grid


def test_a_text_with_nothing_to_place_has_no_position(desk: Sightings) -> None:
    info = file(desk, KEEPER, "what3words ///filled.count.soap blue transit, 3 men")
    assert info.position is None
    assert desk.get(info.ref).position is None  # type: ignore[union-attr]
    assert as_json(info)["position"] is None


def test_a_configured_place_with_a_position_is_read_and_placed(engine: Engine) -> None:
    cfg = config.from_dict({"rota": {"gazetteer": ["Pott Row=TF 705 215", "Docking"]}})
    placed = Sightings(engine, cfg, Outbox(engine, cfg.outbox, cfg.node), Rota(engine))
    info = placed.file(received(engine, KEEPER, "lamping at pott row"))
    assert info.place == "Pott Row"  # the parser read the name, not "Pott Row=TF 705 215"
    assert info.position is not None and info.position.grid == "TF 705 215"


def test_the_position_is_on_the_page_in_the_cli_and_in_the_api(
    desk: Sightings, engine: Engine, console: str, db_url: str, tmp_path: Path
) -> None:
    info = file(desk, KEEPER, "red pickup YR68XYZ heading north, TF 76543 37012")
    want = {"grid": "TF 76543 37012", "from": "grid_ref"}
    page = signed_in(console, "viewer1").get(f"/sightings/{info.ref}").body
    assert 'id="position">Position: <span class="grid">TF 76543 37012</span>' in page

    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n')
    run = subprocess.run(
        [*SMSGW, "sightings", "--json", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    [printed] = json.loads(run.stdout)
    assert {k: printed["position"][k] for k in want} == want
    point = geo.Point(printed["position"]["lat"], printed["position"]["lon"])
    assert geo.to_grid(point, 10) == "TF 76543 37012"

    viewer = next(u for u in users.all_users(engine) if u.role == "viewer")
    token = users.new_api_token(engine, viewer.id)
    req = urllib.request.Request(
        console + "/api/v1/sightings", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        [listed] = json.loads(resp.read())["sightings"]
    assert listed["position"] == printed["position"]


def test_placing_never_stops_a_report_being_filed() -> None:
    """A broken gazetteer (here, one that cannot be read at all) leaves the report unplaced."""

    def unreadable() -> dict[str, geo.Point]:
        raise geo.BadLocation("gazetteer[0] 'Pott Row=TF 70 215': as many figures")

    assert locate(parse("lamping at Docking, TF 765 370"), unreadable) is None
    assert locate(parse("lamping at Docking, TF 765 370"), dict) == (
        geo.from_grid("TF 765 370"),
        "grid_ref",
    )
