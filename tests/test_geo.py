"""Grid references, distances and place words (gateway/core/geo.py, gateway/core/places.py),
checked against conversions published by others, not against the code itself."""

from __future__ import annotations

import pytest

from gateway.core import geo
from gateway.core.config import ConfigError, from_dict
from gateway.core.geo import BadLocation, Point
from gateway.core.places import DISTRICTS, PLACES
from gateway.sightings.vocab import DEFAULT_GAZETTEER

# Ordnance Survey's own test points, ETRS89 (GPS, within a metre of WGS84) against the grid:
# TP01 from the OSTN15 developer pack; Caister water tower from "A guide to coordinate
# systems in Great Britain" (an OSTN02 figure: OSTN15 moves it by centimetres).
TP01 = Point(49.92226393730, -6.29977752014)  # -> 91492.146, 11318.804
CAISTER = Point(52.658007833, 1.716073973)  # -> 651409.792, 313177.448
# Wikipedia's Docking: "OS grid reference TF765370", "52.90197°N 0.6241°E".
DOCKING = Point(52.90197, 0.6241)
# West Norfolk and the edge of North Norfolk its sightings reach, generously.
WEST_NORFOLK = {"lat": (52.45, 53.00), "lon": (0.15, 0.95)}


@pytest.mark.parametrize(
    ("point", "figures", "ref"),
    [
        (TP01, 10, "SV 91492 11318"),
        (TP01, 6, "SV 914 113"),
        (CAISTER, 10, "TG 51409 13177"),
        (CAISTER, 8, "TG 5140 1317"),
        (CAISTER, 6, "TG 514 131"),
        (CAISTER, 4, "TG 51 13"),
        (CAISTER, 2, "TG 5 1"),
        (DOCKING, 6, "TF 765 370"),
    ],
)
def test_a_position_has_the_grid_reference_the_os_gives(
    point: Point, figures: int, ref: str
) -> None:
    assert geo.to_grid(point, figures) == ref


@pytest.mark.parametrize(
    ("ref", "point", "within_m"),
    [
        ("SV 91492 11318", TP01, 2),  # the square's centre is half a metre off the point
        ("SV9149211318", TP01, 2),
        ("TG 51409 13177", CAISTER, 2),
        ("tg 5140 1317", CAISTER, 80),  # 10 m square: centre within 7 m, + the point's place
        ("TG514131", CAISTER, 800),
        ("TF 765 370", DOCKING, 150),
    ],
)
def test_a_grid_reference_is_where_the_os_puts_it(ref: str, point: Point, within_m: int) -> None:
    assert geo.distance_km(geo.from_grid(ref), point) * 1000 < within_m


@pytest.mark.parametrize(
    "ref", ["TF 7 8", "TF 78 38", "TF 783 385", "TF 7831 3851", "TF 78313 38512"]
)
def test_every_length_of_reference_names_the_square_it_came_from(ref: str) -> None:
    figures = len(ref.replace(" ", "")) - 2
    assert geo.to_grid(geo.from_grid(ref), figures) == ref


def test_a_four_figure_reference_is_the_middle_of_its_kilometre() -> None:
    corner, middle = geo.from_grid("TF 7800 3800"), geo.from_grid("TF 78 38")
    assert 0.68 < geo.distance_km(corner, middle) < 0.73  # half the diagonal: 0.707 km


def test_distance_is_the_great_circle() -> None:
    assert geo.distance_km(Point(52.0, 0.5), Point(53.0, 0.5)) == pytest.approx(111.195, abs=0.01)
    assert geo.distance_km(DOCKING, DOCKING) == 0.0
    # 5 km apart on the grid is 5 km on the ground: the sphere is a fraction of a percent
    # out on the ellipsoid (here east-west 0.3% short, north-south 0.2% long), never more.
    a, b, c = (geo.from_grid(r) for r in ("TF 700 300", "TF 750 300", "TF 700 350"))
    assert geo.distance_km(a, b) == pytest.approx(5.0, rel=0.005)
    assert geo.distance_km(a, c) == pytest.approx(5.0, rel=0.005)


def test_every_gazetteer_name_is_placed_inside_west_norfolk() -> None:
    assert set(PLACES) == set(DEFAULT_GAZETTEER)
    for name, ref in {**PLACES, **DISTRICTS}.items():
        p = geo.from_grid(ref)
        assert WEST_NORFOLK["lat"][0] < p.lat < WEST_NORFOLK["lat"][1], name
        assert WEST_NORFOLK["lon"][0] < p.lon < WEST_NORFOLK["lon"][1], name
    assert set(DISTRICTS) == {f"PE{n}" for n in range(30, 39)} | {"NR21", "NR22", "NR23"}


def test_neighbouring_villages_are_near_each_other() -> None:
    """A typo in a reference moves a village kilometres: these pairs are known neighbours."""
    places = geo.places(from_dict({}))
    for a, b, km in [
        ("Great Bircham", "Bircham Newton", 2.5),
        ("Brancaster", "Brancaster Staithe", 3),
        ("Hunstanton", "Old Hunstanton", 2),
        ("East Rudham", "West Rudham", 2),
        ("East Raynham", "West Raynham", 1.5),
        ("Burnham Market", "Burnham Norton", 2),
        ("Docking", "PE31", 3),
        ("King's Lynn", "PE30", 2),
    ]:
        assert geo.distance_km(places[a], places[b]) < km, (a, b)


def test_a_location_is_read_from_what_people_type() -> None:
    places = geo.places(from_dict({}))
    assert geo.parse_location("TF 765 370", places) == geo.from_grid("TF765370")
    assert geo.parse_location(" 52.9, 0.63 ", places) == Point(52.9, 0.63)
    assert geo.parse_location("52.9 0.63", places) == Point(52.9, 0.63)
    assert geo.parse_location("kings lynn", places) == places["King's Lynn"]
    assert geo.parse_location("HOLME NEXT THE SEA", places) == places["Holme-next-the-Sea"]
    assert geo.parse_location("pe31", places) == places["PE31"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no location"),
        ("   ", "no location"),
        ("Timbuktu", "not a grid reference"),
        ("TF 123 4567", "as many figures"),
        ("TF12345", "even number"),
        ("TF 123456 654321", "2 to 10 figures"),
        ("ZZ 123 456", "not a square"),
        ("PE99", "not a postcode district"),
        ("48.5,0.6", "in Britain"),
        ("52.9,12.0", "in Britain"),
    ],
)
def test_nonsense_is_a_bad_location_that_says_why(text: str, says: str) -> None:
    with pytest.raises(BadLocation, match=says):
        geo.parse_location(text, geo.places(from_dict({})))


def test_config_gazetteer_entries_may_carry_a_position() -> None:
    config = from_dict(
        {"rota": {"gazetteer": ["Pott Row=TF 705 215", "Bagthorpe=52.86, 0.70", "Summerfield"]}}
    )
    places = geo.places(config)
    assert geo.to_grid(places["Pott Row"]) == "TF 705 215"
    assert places["Bagthorpe"] == Point(52.86, 0.70)
    assert "Summerfield" not in places and "Docking" in places  # built-ins stay
    assert geo.gazetteer_names(config.rota.gazetteer) == ("Pott Row", "Bagthorpe", "Summerfield")


@pytest.mark.parametrize(
    ("entry", "says"),
    [("Pott Row=TF 70 215", "gazetteer\\[0\\].*as many figures"), ("=TF 705 215", "no name")],
)
def test_a_badly_placed_gazetteer_entry_stops_the_config(entry: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        from_dict({"rota": {"gazetteer": [entry]}})


def test_map_tiles_must_be_a_url_template() -> None:
    url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert from_dict({"web": {"map_tiles": url}}).web.map_tiles == url
    with pytest.raises(ConfigError, match="map_tiles"):
        from_dict({"web": {"map_tiles": "tile.openstreetmap.org"}})
