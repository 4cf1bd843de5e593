"""Alerts near a place in the console and the API, over a real HTTP server and a real
SQLite file: the compose form's place and radius, its preview, confirmation and send; the
same in POST /api/v1/alerts; a sighting's offer to alert the farms near it."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import urllib.request

import pytest
from drama import mobile
from sighting_filing import KEEPER, file, make_desk
from sqlalchemy import Engine, select
from test_web_alerts import compose, figure, form_fields, post
from test_web_api import call
from web_client import signed_in

from gateway.core import users
from gateway.core.models import Alert, Message
from gateway.subscribers.service import Subscribers

CENTRE = "TF 783 385"
WITHIN, FAR, NOWHERE = mobile(700), mobile(701), mobile(702)
TEXT = "Hare coursers near Docking: do not approach, call 999"


@pytest.fixture
def farms(engine: Engine) -> Subscribers:
    """One member 200 m from CENTRE, one 17 km away, one with no location."""
    s = Subscribers(engine)
    s.add_list("West Norfolk farms", "WNFARMS")
    for phone in (WITHIN, FAR, NOWHERE):
        s.join(phone, "WNFARMS", method="officer", by="pc")
    s.set_location(WITHIN, "TF 784 386")
    s.set_location(FAR, "TF 950 385")
    return s


def queued(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(select(Message.to)))


def test_the_compose_form_sends_only_to_the_members_within_the_radius(
    console: str, engine: Engine, farms: Subscribers
) -> None:
    browser = signed_in(console)
    opened = browser.get("/alerts/new?" + urllib.parse.urlencode({"near": CENTRE, "radius_km": 5}))
    assert opened.status == 200
    assert f'id="near" maxlength="60" value="{CENTRE}"' in opened.body
    assert 'value="5"' in opened.body

    where = {"lists": "WNFARMS", "text": TEXT, "near": CENTRE, "radius_km": "5"}
    shown = compose(browser, "preview", **where)
    assert shown.status == 200
    assert figure(shown.body, "preview-recipients") == "1"
    summary = f"1 within 5 km of {CENTRE}; 1 member has no location (not included)"
    assert figure(shown.body, "preview-near") == summary

    token = browser.csrf("/alerts/new")
    fields = [("lists", "WNFARMS"), ("text", TEXT), ("near", CENTRE), ("radius_km", "5")]
    req = urllib.request.Request(  # compose.js's live preview
        console + "/alerts/preview",
        data=urllib.parse.urlencode([*fields, ("include_unplaced", "on")]).encode(),
        headers={"X-CSRFToken": token},
        method="POST",
    )
    with browser.opener.open(req, timeout=10) as resp:
        live = json.loads(resp.read())
    assert live["recipients"] == 2
    assert live["near"] == f"1 within 5 km of {CENTRE}; 1 member has no location (included)"

    page = compose(browser, "confirm", **where)
    assert figure(page.body, "confirm-count") == "Send to 1 recipient, 1 part?"
    assert figure(page.body, "confirm-near") == summary
    sent = post(browser, "/alerts/send", form_fields(page.body, "confirm"))
    assert sent.status == 200 and "is going to 1 recipients" in sent.body
    assert figure(sent.body, "alert-near") == f"within 5 km of {CENTRE}"
    assert queued(engine) == [WITHIN]


@pytest.mark.parametrize(
    ("near", "radius", "words"),
    [
        (CENTRE, "", "give a radius in km for the place, or leave the place empty"),
        ("", "5", "give a place (a grid reference, lat,lon or a village)"),
        ("", "", "give a place (a grid reference, lat,lon or a village)"),  # "unplaced" ticked
        ("Atlantis", "5", "Near: &#39;Atlantis&#39; is not a grid reference"),
        (CENTRE, "150", "the radius is more than 0 and at most 100 km, not 150"),
        (CENTRE, "0", "the radius is more than 0 and at most 100 km, not 0"),
    ],
)
def test_the_compose_form_says_what_is_wrong_with_a_place_or_radius(
    console: str, engine: Engine, farms: Subscribers, near: str, radius: str, words: str
) -> None:
    browser = signed_in(console)
    where = {"lists": "WNFARMS", "text": TEXT, "near": near, "radius_km": radius}
    if not near and not radius:
        where["include_unplaced"] = "on"
    refused = compose(browser, "confirm", **where)
    assert refused.status == 400 and words in refused.body
    fields = [("csrf_token", browser.csrf("/alerts/new")), *where.items()]
    straight = post(browser, "/alerts/send", fields)  # past the confirmation: checked again
    assert straight.status == 400 and words in straight.body
    assert queued(engine) == []


def test_nobody_within_the_radius_is_refused_before_confirming(
    console: str, farms: Subscribers
) -> None:
    browser = signed_in(console)
    where = {"lists": "WNFARMS", "text": TEXT, "near": "TF 600 200", "radius_km": "2"}
    refused = compose(browser, "confirm", **where)
    assert refused.status == 400
    assert "nobody on the chosen lists within 2 km of TF 600 200 can receive it" in refused.body


def test_the_api_sends_near_a_place_and_checks_what_it_is_given(
    console: str, engine: Engine, farms: Subscribers
) -> None:
    [operator] = [a for a in users.all_users(engine) if a.username == "operator1"]
    token = users.new_api_token(engine, operator.id)
    body = {"lists": ["WNFARMS"], "text": TEXT, "near": CENTRE, "radius_km": 5}
    status, reply, _ = call(
        console, "POST", "/api/v1/alerts", token, {**body, "include_unplaced": True}
    )
    assert status == 201, reply
    assert reply["recipients"] == 2 and queued(engine) == [WITHIN, NOWHERE]
    near = reply["near"]
    assert (near["place"], near["radius_km"], near["include_unplaced"]) == (CENTRE, 5, True)
    assert abs(near["lat"] - 52.9144) < 0.001 and abs(near["lon"] - 0.6511) < 0.001
    status, got, _ = call(console, "GET", f"/api/v1/alerts/{reply['ref']}", token)
    assert status == 200 and got["near"] == near

    later = {**body, "send_at": "2099-01-01T06:00:00Z"}
    status, reply, _ = call(console, "POST", "/api/v1/alerts", token, later)
    assert status == 201 and reply["status"] == "scheduled" and reply["recipients"] == 1
    status, reply, _ = call(console, "POST", "/api/v1/alerts", token, {**body, "near": None})
    assert status == 400 and reply["error"] == "near: a radius needs a place to measure it from"

    for change, words in (
        ({"radius_km": None}, "near: give a radius in km to alert the members near"),
        ({"radius_km": "5"}, "radius_km must be a number of km"),
        ({"radius_km": 101}, "near: the radius is more than 0 and at most 100 km, not 101"),
        ({"include_unplaced": "yes"}, "include_unplaced must be true or false"),
        ({"near": "Atlantis"}, "near: 'Atlantis' is not a grid reference"),
        ({"near": 52.9}, "near must be a string"),
    ):
        status, reply, _ = call(console, "POST", "/api/v1/alerts", token, {**body, **change})
        assert status == 400 and reply["error"].startswith(words), (change, reply)
    with engine.connect() as conn:
        assert len(conn.scalars(select(Alert.id)).all()) == 2


def test_a_sighting_with_a_position_offers_to_alert_the_farms_near_it(
    console: str, engine: Engine, db_url: str
) -> None:
    desk = make_desk(engine, db_url)
    placed = file(desk, KEEPER, "Silver Subaru KX19 ABC at TF 7831 3851 heading north")
    nowhere = file(desk, KEEPER, "Silver Subaru KX19 ABC heading north")
    browser = signed_in(console)
    page = browser.get(f"/sightings/{placed.ref}")
    found = re.search(
        r'id="alert-near" href="([^"]+)">Alert the farms within 5 km of here<', page.body
    )
    assert found, "no offer"
    link = html.unescape(found.group(1))
    path, _, query = link.partition("?")
    assert path == "/alerts/new"
    assert urllib.parse.parse_qs(query) == {"near": ["TF 7831 3851"], "radius_km": ["5"]}
    opened = browser.get(link)
    assert opened.status == 200 and 'value="TF 7831 3851"' in opened.body
    assert 'id="alert-near"' not in browser.get(f"/sightings/{nowhere.ref}").body
    viewer = signed_in(console, "viewer1")
    assert 'id="alert-near"' not in viewer.get(f"/sightings/{placed.ref}").body
