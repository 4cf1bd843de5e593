"""Subscribers and lists in the console, over a real HTTP server and a real SQLite file."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from drama import mobile
from sqlalchemy import Engine, select
from test_badge import decode
from web_client import Browser, Reply, signed_in

from gateway.core import audit, config
from gateway.core.models import Consent, Membership, Subscriber
from gateway.core.privacy import mask
from gateway.subscribers import csv_io
from gateway.subscribers import search as subscriber_search
from gateway.subscribers.badge import sms_uri
from gateway.subscribers.service import Subscribers
from web import create_app
from web.server import ConsoleServer

GATEWAY = "+447700900000"
TOM, ANN, RAVI = mobile(101), mobile(102), mobile(103)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list("Docking farms", "DOCKING")
    s.add_list("North coast", "NORTH")
    s.join(TOM, "DOCKING", name="Tom Wright", method="sms")
    s.join(ANN, "NORTH", name="Ann Bell", method="qr")
    return s


@pytest.fixture
def badge_console(console: str, engine: Engine, db_url: str) -> Iterator[str]:
    """A second console on the same database whose config has the gateway's own number."""
    cfg = config.from_dict({"database": {"url": db_url}, "gateway": {"number": GATEWAY}})
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()


def subscriber_id(engine: Engine, phone: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(Subscriber.id).where(Subscriber.phone == phone)) or 0)


def consents(engine: Engine, sub: int) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Consent.action, Consent.method, Consent.by)
            .where(Consent.subscriber_id == sub)
            .order_by(Consent.id)
        )
        return [(r.action, r.method, r.by) for r in rows]


def actions(engine: Engine, actor: str) -> list[tuple[str, str]]:
    return [(e.action, e.detail) for e in reversed(audit.entries(engine, actor=actor))]


def fetch(browser: Browser, path: str) -> tuple[int, str, bytes]:
    with browser.opener.open(browser.base + path, timeout=10) as resp:
        return resp.status, resp.headers["Content-Type"], resp.read()


def upload(browser: Browser, path: str, content: bytes, fields: dict[str, str]) -> Reply:
    boundary = "smsgw-test-7f3a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="people.csv"'
        "\r\nContent-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    req = urllib.request.Request(
        browser.base + path,
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return browser._open(req)


def post_pairs(browser: Browser, path: str, pairs: list[tuple[str, str]]) -> Reply:
    """A form post with a field given more than once (checkboxes)."""
    data = urllib.parse.urlencode(pairs).encode()
    return browser._open(urllib.request.Request(browser.base + path, data=data, method="POST"))


def table_rows(body: str) -> int:
    return len(re.findall(r'<a href="/subscribers/\d+">', body))


# -- search --------------------------------------------------------------------------------------
def test_search_finds_a_number_in_national_format_and_a_part_of_a_name(
    console: str, subs: Subscribers
) -> None:
    browser = signed_in(console, "operator1")
    by_number = browser.get("/subscribers/?q=07700+900101").body
    assert TOM in by_number and "Tom Wright" in by_number and ANN not in by_number
    by_name = browser.get("/subscribers/?q=bell").body
    assert ANN in by_name and "Ann Bell" in by_name and TOM not in by_name
    by_digits = browser.get("/subscribers/?q=900102").body
    assert ANN in by_digits and TOM not in by_digits
    everyone = browser.get("/subscribers/").body
    assert "2 subscribers" in everyone and TOM in everyone and ANN in everyone
    assert "DOCKING" in everyone and "NORTH" in everyone


def test_results_come_fifty_to_a_page(console: str, subs: Subscribers, engine: Engine) -> None:
    rows = "".join(f"{mobile(200 + n)},Person {n},DOCKING\n" for n in range(118))
    csv_io.import_csv(engine, io.StringIO("phone,name,lists\n" + rows), by="test")
    browser = signed_in(console, "viewer1")
    first = browser.get("/subscribers/").body
    assert "120 subscribers" in first and "Page 1 of 3" in first and table_rows(first) == 50
    last = browser.get("/subscribers/?page=3").body
    assert "Page 3 of 3" in last and table_rows(last) == 20
    assert "Tom Wright" in last and "Tom Wright" not in first  # newest first
    searched = browser.get("/subscribers/?q=person+1").body  # 1, 10-19, 100-117
    assert "29 found" in searched and table_rows(searched) == 29


# -- changes -------------------------------------------------------------------------------------
def test_an_operator_adds_a_subscriber_and_the_consent_is_recorded(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    browser = signed_in(console, "operator1")
    docking, north = (str(subs.require_list(k).id) for k in ("DOCKING", "NORTH"))
    token = browser.csrf("/subscribers/new")
    fields = [("csrf_token", token), ("phone", "07700 900103"), ("name", "Ravi Patel")]
    reply = post_pairs(browser, "/subscribers/new", [*fields, ("list", docking), ("list", north)])
    sub = subscriber_id(engine, RAVI)
    assert reply.status == 200 and reply.url == f"{console}/subscribers/{sub}"
    assert "Ravi Patel" in reply.body and "Added to DOCKING, NORTH" in reply.body
    assert consents(engine, sub) == [("join", "console", "operator1")] * 2
    detail = f"subscriber {sub}: joined DOCKING, NORTH"
    assert ("subscriber-added", detail) in actions(engine, "operator1")


def test_adding_needs_a_possible_number_and_a_list(console: str, subs: Subscribers) -> None:
    browser = signed_in(console, "operator1")
    token = browser.csrf("/subscribers/new")
    docking = str(subs.require_list("DOCKING").id)
    bad = browser.post("/subscribers/new", {"csrf_token": token, "phone": "0770", "list": docking})
    assert bad.status == 400 and "not a possible number" in bad.body
    none = browser.post("/subscribers/new", {"csrf_token": token, "phone": RAVI})
    assert none.status == 400 and "choose at least one list" in none.body


def test_an_operator_edits_name_lists_and_key_contact(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    sub = subscriber_id(engine, TOM)
    north = subs.require_list("NORTH").id
    browser = signed_in(console, "operator1")
    token = browser.csrf(f"/subscribers/{sub}")
    form = {"csrf_token": token, "name": "Tom Wright-Hale", "list": str(north), "key": str(north)}
    reply = browser.post(f"/subscribers/{sub}", form)
    assert reply.status == 200 and "Tom Wright-Hale" in reply.body
    with engine.connect() as conn:
        held = conn.execute(
            select(Membership.list_id, Membership.active, Membership.key_contact).where(
                Membership.subscriber_id == sub
            )
        ).all()
    assert sorted(tuple(r) for r in held) == sorted(
        [(subs.require_list("DOCKING").id, False, False), (north, True, True)]
    )
    assert consents(engine, sub)[1:] == [
        ("leave", "console", "operator1"),
        ("join", "console", "operator1"),
    ]
    detail = f"subscriber {sub}: left DOCKING; joined NORTH as key contact; name changed"
    assert ("subscriber-changed", detail) in actions(engine, "operator1")
    again = browser.post(f"/subscribers/{sub}", form)
    assert "Nothing to change" in again.body


def test_erasing_asks_for_confirmation_then_removes_the_person_everywhere(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    sub = subscriber_id(engine, TOM)
    browser = signed_in(console, "operator1")
    confirm_page = browser.get(f"/subscribers/{sub}/erase")
    assert confirm_page.status == 200 and "cannot be undone" in confirm_page.body
    token = browser.csrf(f"/subscribers/{sub}/erase")
    unconfirmed = browser.post(f"/subscribers/{sub}/erase", {"csrf_token": token})
    assert unconfirmed.status == 400 and subscriber_id(engine, TOM) == sub
    done = browser.post(f"/subscribers/{sub}/erase", {"csrf_token": token, "confirm": "erase"})
    assert done.status == 200 and done.url == f"{console}/subscribers/"
    with engine.connect() as conn:
        row = conn.execute(select(Subscriber).where(Subscriber.id == sub)).one()
        kept = conn.execute(select(Membership).where(Membership.subscriber_id == sub)).all()
    assert (row.phone, row.name, row.erased_at is not None, kept) == (None, "", True, [])
    assert TOM not in browser.get("/subscribers/?q=" + TOM[1:]).body
    assert browser.get(f"/subscribers/{sub}").status == 404
    _, _, exported = fetch(browser, "/subscribers/export.csv")
    assert TOM.encode() not in exported and b"Tom" not in exported
    assert consents(engine, sub)[-1] == ("erase", "officer", "operator1")  # dates and ids only
    assert ("subscriber-erased", f"subscriber {sub}") in actions(engine, "operator1")


# -- viewers -------------------------------------------------------------------------------------
def test_a_viewer_sees_masked_numbers_and_cannot_change_anything(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    sub = subscriber_id(engine, TOM)
    viewer = signed_in(console, "viewer1")
    listing = viewer.get("/subscribers/").body
    assert mask(TOM) in listing and TOM not in listing and "Add a subscriber" not in listing
    detail = viewer.get(f"/subscribers/{sub}").body
    assert mask(TOM) in detail and TOM not in detail and 'name="csrf_token"' in detail
    assert 'action="/subscribers/' not in detail  # the only form is signing out
    # A search by number would tell a viewer whether it subscribes: trying the numbers
    # that end in a mask's digits would rebuild one. Operators only, whole or in part.
    for query in ("07700900101", "+447700900101", "900101"):
        found = viewer.get(f"/subscribers/?q={urllib.parse.quote(query)}").body
        assert "0 found" in found and "by number is for operators" in found, query
        assert mask(TOM) not in found, query
    assert mask(TOM) in viewer.get("/subscribers/?q=Tom").body  # by name, still
    token = viewer.csrf("/")
    docking = str(subs.require_list("DOCKING").id)
    for path, fields in (
        ("/subscribers/new", {"phone": RAVI, "list": docking}),
        (f"/subscribers/{sub}", {"name": "x"}),
        (f"/subscribers/{sub}/erase", {"confirm": "erase"}),
        ("/lists/", {"name": "Shops", "keyword": "SHOPS"}),
        ("/subscribers/import", {}),
    ):
        assert viewer.post(path, fields | {"csrf_token": token}).status == 403, path
    for path in ("/subscribers/export.csv", f"/lists/{docking}/members.csv", "/subscribers/new"):
        assert viewer.get(path).status == 403, path
    assert subscriber_id(engine, TOM) == sub and subscriber_id(engine, RAVI) == 0


def test_a_hostile_name_is_shown_as_text(console: str, subs: Subscribers, engine: Engine) -> None:
    subs.join(RAVI, "DOCKING", name='<script>alert("x")</script>', method="officer", by="pc")
    browser = signed_in(console, "operator1")
    for path in ("/subscribers/", f"/subscribers/{subscriber_id(engine, RAVI)}"):
        body = browser.get(path).body
        assert "<script>alert" not in body, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, path


# -- CSV -----------------------------------------------------------------------------------------
def test_an_import_reports_each_bad_row_and_keeps_the_good_ones(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    content = (
        "phone,name,lists\n"
        f"{RAVI},Ravi Patel,DOCKING\n"
        "0770,Short Number,DOCKING\n"
        f"{mobile(104)},<b>Bold</b>,NOWHERE\n"
        f"{ANN},,DOCKING;NORTH\n"
    ).encode()
    browser = signed_in(console, "operator1")
    token = browser.csrf("/subscribers/import")
    refused = upload(browser, "/subscribers/import", content, {"csrf_token": token})
    assert refused.status == 200 and "Nothing was imported" in refused.body
    assert subscriber_id(engine, RAVI) == 0
    reply = upload(
        browser, "/subscribers/import", content, {"csrf_token": token, "skip_bad": "yes"}
    )
    assert reply.status == 200
    bad = re.findall(
        r"<tr><td>(\d+)</td><td>(.*?)</td><td class=\"row\">(.*?)</td></tr>", reply.body
    )
    assert [(line, row) for line, _, row in bad] == [
        ("3", "0770,Short Number,DOCKING"),
        ("4", f"{mobile(104)},&lt;b&gt;Bold&lt;/b&gt;,NOWHERE"),
    ]
    assert "not a possible number" in bad[0][1] and "unknown list" in bad[1][1]
    cards = re.findall(r'<div class="card"><b>(\d+)</b>([a-z ]+)', reply.body)
    assert {label.strip(): int(n) for n, label in cards} == {
        "added": 1,
        "updated": 1,  # Ann, already on NORTH, joins DOCKING
        "skipped": 2,
        "new list memberships": 2,
    }
    assert subscriber_id(engine, RAVI) and not subscriber_id(engine, mobile(104))
    assert [a for a, _ in actions(engine, "operator1")][-1] == "subscribers-imported"


def test_an_import_without_a_csrf_token_or_a_file_is_refused(
    console: str, subs: Subscribers
) -> None:
    browser = signed_in(console, "operator1")
    assert upload(browser, "/subscribers/import", b"phone,name,lists\n", {}).status == 400
    token = browser.csrf("/subscribers/import")
    empty = browser.post("/subscribers/import", {"csrf_token": token})
    assert empty.status == 400 and "Choose a CSV file" in empty.body


def test_the_export_reads_back_and_neutralises_formulas(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    subs.join(RAVI, "NORTH", name="=HYPERLINK(1)", method="officer", by="pc")
    subs.join(TOM, "NORTH", method="officer", by="pc")
    browser = signed_in(console, "operator1")
    status, kind, data = fetch(browser, "/subscribers/export.csv")
    assert status == 200 and kind.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["phone", "name", "lists", "email", "channel", "location"]
    assert rows[1:] == [
        ["'" + TOM, "Tom Wright", "Docking farms;North coast", "", "sms", ""],
        ["'" + ANN, "Ann Bell", "North coast", "", "sms", ""],
        ["'" + RAVI, "'=HYPERLINK(1)", "North coast", "", "sms", ""],
    ]
    assert [csv_io.unescape_cell(c) for c in rows[3][:3]] == [RAVI, "=HYPERLINK(1)", "North coast"]
    docking = subs.require_list("DOCKING").id
    _, _, one_list = fetch(browser, f"/lists/{docking}/members.csv")
    assert list(csv.reader(io.StringIO(one_list.decode("utf-8-sig"))))[1:] == [
        ["'" + TOM, "Tom Wright", "Docking farms", "", "sms", ""]
    ]
    assert [a for a, _ in actions(engine, "operator1")][-2:] == ["subscribers-exported"] * 2


# -- lists and badges ----------------------------------------------------------------------------
def test_an_operator_creates_a_list_and_sees_member_counts(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    browser = signed_in(console, "operator1")
    token = browser.csrf("/lists/")
    made = browser.post("/lists/", {"csrf_token": token, "name": "Shop watch", "keyword": "shops"})
    assert made.status == 200 and "JOIN SHOPS" in made.body
    again = browser.post("/lists/", {"csrf_token": token, "name": "Other", "keyword": "SHOPS"})
    assert again.status == 400 and "exists already" in again.body
    counts = re.findall(r"<td><code>JOIN (\w+)</code></td>\s*<td>(\d+)</td>", made.body)
    assert counts == [("DOCKING", "1"), ("NORTH", "1"), ("SHOPS", "0")]
    assert ("list-added", "Shop watch (SHOPS)") in actions(engine, "operator1")


def test_without_the_gateway_number_there_is_no_badge(console: str, subs: Subscribers) -> None:
    browser = signed_in(console, "viewer1")
    assert "set <code>gateway.number</code>" in browser.get("/lists/").body
    assert browser.get(f"/lists/{subs.require_list('DOCKING').id}/badge.svg").status == 409


def svg_qr(svg: bytes, pixels: int = 4) -> zxingcpp.Barcode:
    """Draw the badge's QR path (runs of dark modules) into a grey image and decode it."""
    root = ET.fromstring(svg)
    group = next(g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}path") is not None)
    size = int(group.find(f"{SVG}rect").get("width"))  # type: ignore[union-attr,arg-type]
    dark = [[False] * size for _ in range(size)]
    path = group.find(f"{SVG}path").get("d")  # type: ignore[union-attr]
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", path or ""):
        for i in range(int(w)):
            dark[int(y)][int(x) + i] = True
    grey = bytes(
        0 if dark[r // pixels][c // pixels] else 255
        for r in range(size * pixels)
        for c in range(size * pixels)
    )
    side = size * pixels
    found = zxingcpp.read_barcode(memoryview(grey).cast("B", (side, side)))
    assert found is not None and found.format == zxingcpp.BarcodeFormat.QRCode
    return found


def test_the_badge_downloads_decode_to_the_join_text(
    badge_console: str, subs: Subscribers, tmp_path: Path
) -> None:
    browser = signed_in(badge_console, "viewer1")
    docking = subs.require_list("DOCKING").id
    status, kind, svg = fetch(browser, f"/lists/{docking}/badge.svg")
    assert status == 200 and kind.startswith("image/svg+xml")
    assert b"Text JOIN DOCKING to 07700 900000" in svg
    assert svg_qr(svg).text == sms_uri(GATEWAY, "JOIN DOCKING")
    status, kind, png = fetch(browser, f"/lists/{docking}/badge.png")
    assert status == 200 and kind == "image/png"
    (tmp_path / "badge.png").write_bytes(png)
    assert decode(tmp_path / "badge.png").text == "SMSTO:+447700900000:JOIN DOCKING"
    assert browser.get(f"/lists/{docking}/badge.pdf").status == 404
    assert browser.get("/lists/999/badge.svg").status == 404


def test_a_new_subscriber_gets_a_location_and_a_bad_one_adds_nobody(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    browser = signed_in(console, "operator1")
    docking = str(subs.require_list("DOCKING").id)
    token = browser.csrf("/subscribers/new")
    form = {"csrf_token": token, "phone": "07700 900103", "list": docking}
    bad = browser.post("/subscribers/new", {**form, "location": "Nowhereville"})
    assert bad.status == 400 and 'value="Nowhereville"' in bad.body
    assert subscriber_search.search(engine, RAVI).people == []  # nothing written
    made = browser.post("/subscribers/new", {**form, "location": "TF 783 385"})
    sub = subscriber_id(engine, RAVI)
    assert made.status == 200 and made.url == f"{console}/subscribers/{sub}"
    [person] = subscriber_search.search(engine, RAVI).people
    assert person.location == "TF 783 385"
    assert ("subscriber-added", f"subscriber {sub}: joined DOCKING; location set") in actions(
        engine, "operator1"
    )
