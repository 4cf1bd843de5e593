"""Where subscribers are: set by an officer, imported and exported in CSV, edited in the
console, gone with an erase (gateway/subscribers/whereabouts.py)."""

from __future__ import annotations

import csv
import io

import pytest
from drama import mobile
from sqlalchemy import Engine, select
from web_client import signed_in

from gateway.core import audit, geo
from gateway.core.geo import BadLocation
from gateway.core.models import Subscriber
from gateway.subscribers import search
from gateway.subscribers.csv_io import export_csv, import_csv
from gateway.subscribers.service import Subscribers
from gateway.subscribers.whereabouts import NotSubscribed

FARM, SHOP, NEW = mobile(301), mobile(302), mobile(303)


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine, gazetteer=("Pott Row=TF 705 215",))
    s.add_list("Docking farms", "DOCKING")
    s.join(FARM, "DOCKING", name="Farm")
    s.join(SHOP, "DOCKING", name="Shop")
    return s


def stored(engine: Engine, phone: str) -> tuple[str | None, float | None, float | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Subscriber.location, Subscriber.lat, Subscriber.lon).where(
                Subscriber.phone == phone
            )
        ).one()
    return row.location, row.lat, row.lon


def grid_of(engine: Engine, phone: str, figures: int = 6) -> str:
    _, lat, lon = stored(engine, phone)
    assert lat is not None and lon is not None
    return geo.to_grid(geo.Point(lat, lon), figures)


def test_a_location_is_kept_as_typed_beside_its_position(subs: Subscribers, engine: Engine) -> None:
    assert subs.set_location(FARM, "  tf 7831   3851 ") == "location set"
    assert stored(engine, FARM)[0] == "tf 7831 3851"
    assert grid_of(engine, FARM, 8) == "TF 7831 3851"
    assert subs.set_location(FARM, "Docking") == "location changed"
    assert grid_of(engine, FARM) == "TF 765 370"
    assert subs.set_location(FARM, "docking") == "location changed"  # the text is what is kept
    assert subs.set_location(FARM, "docking") == ""  # nothing to change
    assert subs.set_location(FARM, "pott row") == "location changed"  # a configured place
    assert grid_of(engine, FARM) == "TF 705 215"
    subs.set_location(SHOP, "PE31")
    subs.set_location("07700 900301", "52.9,0.6")  # FARM, written nationally
    assert stored(engine, FARM) == ("52.9,0.6", 52.9, 0.6)
    assert [p.location for p in search.search(engine, "").people] == ["PE31", "52.9,0.6"]
    assert subs.set_location(FARM, "") == "location removed"
    assert stored(engine, FARM) == (None, None, None)


def test_nonsense_changes_nothing_and_says_why(subs: Subscribers, engine: Engine) -> None:
    subs.set_location(FARM, "Docking")
    before = stored(engine, FARM)
    for text, says in [
        ("Timbuktu", "not a grid reference"),
        ("TF 123 45", "as many figures"),
        ("48.1,0.5", "in Britain"),
        ("PE99", "postcode district"),
        ("x" * 41, "at most 40"),
    ]:
        with pytest.raises(BadLocation, match=says):
            subs.set_location(FARM, text)
    assert stored(engine, FARM) == before
    with pytest.raises(NotSubscribed):
        subs.set_location(NEW, "Docking")


def test_an_erase_takes_the_location_with_it(subs: Subscribers, engine: Engine) -> None:
    subs.set_location(FARM, "TF 783 385")
    sub = search.search(engine, FARM).people[0].id
    assert subs.erase(FARM, by="pc")
    with engine.connect() as conn:
        row = conn.execute(select(Subscriber).where(Subscriber.id == sub)).one()
    assert (row.location, row.lat, row.lon) == (None, None, None)


# -- CSV ------------------------------------------------------------------------------------
def test_an_import_places_new_people_and_fills_only_empty_locations(
    subs: Subscribers, engine: Engine
) -> None:
    subs.set_location(FARM, "Docking")
    text = (
        "phone,name,lists,email,channel,location\n"
        f"{FARM},Farm,DOCKING,,,TF 783 385\n"  # has one: kept
        f"{SHOP},Shop,DOCKING,,,Pott Row\n"  # had none: filled, from the configured gazetteer
        f"{NEW},New,DOCKING,,,TF 7831 3851\n"
        f"{mobile(304)},Nowhere,DOCKING,,,\n"
    )
    report = import_csv(engine, io.StringIO(text), gazetteer=("Pott Row=TF 705 215",))
    assert (report.imported, report.bad) == (4, [])
    assert stored(engine, FARM)[0] == "Docking"
    assert stored(engine, SHOP)[0] == "Pott Row"
    assert stored(engine, NEW)[0] == "TF 7831 3851"
    assert grid_of(engine, NEW, 8) == "TF 7831 3851" and grid_of(engine, SHOP) == "TF 705 215"
    assert stored(engine, mobile(304)) == (None, None, None)


def test_a_bad_location_is_a_bad_row_with_its_line_and_reason(engine: Engine) -> None:
    Subscribers(engine).add_list("Docking farms", "DOCKING")
    text = (
        "phone,name,lists,location\n"
        f"{FARM},Farm,DOCKING,Docking\n"
        f"{SHOP},Shop,DOCKING,Atlantis\n"
        f"{NEW},New,DOCKING,TF 12 345\n"
    )
    report = import_csv(engine, io.StringIO(text))
    assert [(b.line, b.reason) for b in report.bad] == [
        (3, "location: 'Atlantis' is not a grid reference (TF 783 385), latitude,longitude "
            "(52.90,0.63), or a place or postcode district the gazetteer knows"),
        (4, "location: 'TF 12 345': the easting and northing need as many figures each"),
    ]  # fmt: skip
    assert report.imported == 0 and search.search(engine, "").total == 0


def test_an_old_file_imports_and_an_export_reads_back_with_locations(
    subs: Subscribers, engine: Engine
) -> None:
    old = f"phone,name,lists\n{NEW},New,DOCKING\n"
    assert import_csv(engine, io.StringIO(old)).imported == 1
    subs.set_location(FARM, "TF 783 385")
    out = io.StringIO()
    export_csv(engine, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][-1] == "location"
    assert {r[0].lstrip("'"): r[-1] for r in rows[1:]} == {FARM: "TF 783 385", SHOP: "", NEW: ""}
    subs.erase(FARM, by="pc")  # then the file comes back: the person is new, and placed
    assert import_csv(engine, io.StringIO(out.getvalue())).bad == []
    assert stored(engine, FARM)[0] == "TF 783 385"


# -- the console ----------------------------------------------------------------------------
def test_an_operator_sets_a_location_and_a_viewer_sees_only_that_there_is_one(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    sub = search.search(engine, FARM).people[0].id
    browser = signed_in(console, "operator1")
    page = browser.get(f"/subscribers/{sub}")
    assert 'name="location"' in page.body
    token = browser.csrf(f"/subscribers/{sub}")
    docking = str(subs.require_list("DOCKING").id)
    form = {"csrf_token": token, "name": "Farm", "list": docking, "channel": "sms"}
    saved = browser.post(f"/subscribers/{sub}", form | {"location": "king's lynn"})
    assert saved.status == 200 and "location set" in saved.body
    assert "king&#39;s lynn" in saved.body and "king's lynn" not in saved.body  # escaped
    assert stored(engine, FARM)[0] == "king's lynn"
    entry = audit.entries(engine, action="subscriber-changed")[0]
    assert entry.detail == f"subscriber {sub}: location set"  # the place is not in the log

    bad = browser.post(
        f"/subscribers/{sub}", form | {"location": "Atlantis", "email": "f@example.org"}
    )
    assert bad.status == 400 and "Atlantis" in bad.body and "not a grid reference" in bad.body
    assert stored(engine, FARM)[0] == "king's lynn"
    assert search.search(engine, FARM).people[0].email is None  # nothing else changed either
    refused = browser.post(f"/subscribers/{sub}", form | {"location": "", "csrf_token": "x"})
    assert refused.status == 400 and stored(engine, FARM)[0] == "king's lynn"

    viewer = signed_in(console, "viewer1").get(f"/subscribers/{sub}").body
    assert "on record" in viewer and "lynn" not in viewer
