"""CAP 1.2 and the Atom feed (issue 18) over a real HTTP server: each document is checked
against the OASIS CAP 1.2 schema itself (tests/data/CAP-v1.2.xsd, copied unchanged from
docs.oasis-open.org by way of github.com/IBM/cap), the feed's links are followed, and
hostile alert text still gives well-formed, valid XML."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from drama import mobile
from sqlalchemy import Engine

from gateway.alerts.service import Alerts
from gateway.core import users
from gateway.core.config import OutboxConfig
from gateway.core.geo import from_grid
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import Subscribers

XSD = Path(__file__).with_name("data") / "CAP-v1.2.xsd"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"
TEXT = "Hare coursers: white Land Rover KX19 ABC seen near Docking, do not approach, call 999"
HOSTILE = "A <b>&amp; ]]> \x01\x08\x0b\x1f\x7f <![CDATA[x]]> \"q\" 'a' & < > \ufffe end"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture
def tokens(console: str, engine: Engine) -> dict[str, str]:
    return {a.role: users.new_api_token(engine, a.id) for a in users.all_users(engine)}


@pytest.fixture
def alerts(engine: Engine) -> Alerts:
    subs = Subscribers(engine)
    for name, keyword in (("Docking", "DOCKING"), ("West Norfolk farms", "FARMS")):
        subs.add_list(name, keyword)
        subs.join(mobile(len(keyword)), name, method="officer", by="test")
    return Alerts(engine, Outbox(engine, OutboxConfig(), "n"), subs)


def get(url: str, token: str | None) -> tuple[int, bytes, Message]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


def cap_of(console: str, ref: str, token: str) -> ET.Element:
    status, body, headers = get(f"{console}/api/v1/alerts/{ref}/cap", token)
    assert status == 200, body
    assert headers.get_content_type() == "application/cap+xml"
    return ET.fromstring(body)


def field(root: ET.Element, path: str) -> str:
    found = root.find("/".join(CAP + step for step in path.split("/")))
    assert found is not None and found.text is not None, path
    return found.text


def test_an_alert_is_a_valid_cap_message_that_a_viewer_may_read(
    console: str,
    engine: Engine,
    tokens: dict[str, str],
    alerts: Alerts,
    schema: xmlschema.XMLSchema,
) -> None:
    made = alerts.create(TEXT, ["Docking", "West Norfolk farms"], by="operator1")
    url = f"{console}/api/v1/alerts/{made.ref}/cap"
    assert get(url, None)[0] == 401
    status, body, _ = get(url, tokens["viewer"])
    assert status == 200
    schema.validate(body.decode())  # raises with the reason when it is not CAP 1.2
    root = ET.fromstring(body)
    ident = field(root, "identifier")
    assert ident.startswith("urn:smsgw:") and ident.endswith(":" + made.ref)
    assert " " not in ident and "," not in ident
    assert field(root, "msgType") == "Alert" and field(root, "status") == "Actual"
    assert field(root, "scope") == "Restricted" and root.find(CAP + "references") is None
    sent = field(root, "sent")
    assert sent[19] in "+-" and sent.endswith(":00") and "." not in sent  # offset, no Z
    info = root.find(CAP + "info")
    assert info is not None
    assert field(info, "urgency") == "Immediate" and field(info, "category") == "Security"
    assert field(info, "description") == made.text
    assert (
        field(info, "headline").startswith("Hare coursers:") and len(field(info, "headline")) < 80
    )
    assert field(info, "area/areaDesc") == "Docking, West Norfolk farms"
    assert info.find(f"{CAP}area/{CAP}circle") is None  # the whole lists: no circle
    again = cap_of(console, made.ref.lower(), tokens["admin"])
    assert field(again, "identifier") == ident  # stable, whoever asks and however spelt
    missing = get(f"{console}/api/v1/alerts/A9999/cap", tokens["viewer"])
    assert missing[0] == 404 and b"error" in missing[1]


def test_an_alert_near_a_place_has_a_circle_and_a_cancelled_one_becomes_a_cancel(
    console: str, tokens: dict[str, str], alerts: Alerts, schema: xmlschema.XMLSchema
) -> None:
    centre = from_grid("TF 783 385")
    made = alerts.create(
        TEXT, ["Docking"], by="operator1", near=centre, radius_km=5, near_text="TF 783 385"
    )
    root = cap_of(console, made.ref, tokens["viewer"])
    area = root.find(f"{CAP}info/{CAP}area")
    assert area is not None
    assert field(area, "areaDesc") == "Docking; within 5 km of TF 783 385"
    lat, lon_radius = field(area, "circle").split(",")
    lon, radius = lon_radius.split(" ")
    assert abs(float(lat) - centre.lat) < 1e-5 and abs(float(lon) - centre.lon) < 1e-5
    assert float(radius) == 5
    original, sent = field(root, "identifier"), field(root, "sent")

    alerts.cancel(made.ref, by="operator1")
    _, body, _ = get(f"{console}/api/v1/alerts/{made.ref}/cap", tokens["viewer"])
    schema.validate(body.decode())
    cancel = ET.fromstring(body)
    assert field(cancel, "msgType") == "Cancel"
    assert field(cancel, "identifier") != original
    assert field(cancel, "references") == f"{field(cancel, 'sender')},{original},{sent}"


def test_hostile_text_still_gives_valid_cap(
    console: str, tokens: dict[str, str], alerts: Alerts, schema: xmlschema.XMLSchema
) -> None:
    made = alerts.create(HOSTILE, ["Docking"], by="operator1", smart=False)
    assert "\x01" in made.text and "]]>" in made.text  # stored as typed
    _, body, _ = get(f"{console}/api/v1/alerts/{made.ref}/cap", tokens["viewer"])
    schema.validate(body.decode())
    description = field(ET.fromstring(body), "info/description")
    assert "<b>&amp; ]]>" in description and "<![CDATA[x]]>" in description  # text, not markup
    assert "\x01" not in description and "\ufffd" in description
    assert description.endswith(" end")


def test_the_atom_feed_lists_recent_alerts_each_linking_its_cap_document(
    console: str, tokens: dict[str, str], alerts: Alerts, schema: xmlschema.XMLSchema
) -> None:
    refs = [alerts.create(f"{TEXT} ({n})", ["Docking"], by="operator1").ref for n in range(3)]
    hostile = alerts.create(HOSTILE, ["Docking"], by="operator1", smart=False).ref
    assert get(f"{console}/api/v1/alerts.atom", None)[0] == 401
    status, body, headers = get(f"{console}/api/v1/alerts.atom", tokens["viewer"])
    assert status == 200 and headers.get_content_type() == "application/atom+xml"
    feed = ET.fromstring(body)
    assert feed.tag == ATOM + "feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(ATOM + required) is not None, required
    entries = feed.findall(ATOM + "entry")
    assert len(entries) == 4
    seen = []
    for entry in entries:
        links = [
            e
            for e in entry.findall(ATOM + "link")
            if e.get("rel") == "alternate" and e.get("type") == "application/cap+xml"
        ]
        assert len(links) == 1
        status, cap_body, headers = get(links[0].get("href", ""), tokens["viewer"])
        assert status == 200 and headers.get_content_type() == "application/cap+xml"
        schema.validate(cap_body.decode())
        root = ET.fromstring(cap_body)
        assert entry.findtext(ATOM + "id") == field(root, "identifier")
        seen.append(field(root, "identifier").rsplit(":", 1)[1])
    assert seen == [hostile, *reversed(refs)]  # newest first
