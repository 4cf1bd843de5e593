"""What a viewer reads: no page and no API answer shows a whole phone number, and every
view of a number shows the same mask, so no two of them combine into more of it. Over a
real server and a real database, with a number in every place the console shows one."""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import openpyxl
import pytest
from drama import mobile
from sighting_filing import DESK, KEEPER, OFFICER, STRANGER, file, make_desk, on_shift
from sqlalchemy import Engine, select
from test_web_api import call
from web_client import signed_in

from gateway.alerts.service import Alerts
from gateway.core import config, users
from gateway.core.config import InboundConfig, OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Subscriber
from gateway.core.privacy import mask, mask_in_text
from gateway.inbox.store import Inbox, IncomingPart
from gateway.outbox.queue import Outbox
from gateway.rota.patrols import Patrols
from gateway.subscribers import search as subscriber_search
from gateway.subscribers.service import Subscribers
from web import create_app
from web.server import ConsoleServer

GATEWAY = mobile(0)  # the gateway's own number: printed on posters, public
TOM = mobile(101)  # a subscriber, who also replies to an alert
BACKUP = mobile(602)
SEEDED = (TOM, KEEPER, STRANGER, OFFICER, BACKUP, DESK)
MASKLIKE = re.compile(r"\+\d*\*+\d*")  # any number with stars in it


@dataclass
class Seeded:
    base: str
    paths: dict[str, str]  # endpoint -> a path that reaches it with the seeded rows
    api_token: str


@pytest.fixture
def seeded(engine: Engine, db_url: str) -> Iterator[Seeded]:
    cfg = config.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"number": GATEWAY},
            "rota": {"fallback_number": DESK},
        }
    )
    for name in ("admin", "operator", "viewer"):
        users.add(engine, f"{name}1", "correct horse battery", name)
    viewer = next(a for a in users.all_users(engine) if a.role == "viewer")
    desk = make_desk(engine, db_url)
    officer = on_shift(desk, OFFICER, "PC Lake")
    backup = desk.rota.add_operator("PC Hale", BACKUP)
    now = utcnow()
    desk.rota.add_shift(
        backup.id, now - timedelta(hours=1), now + timedelta(hours=2), role="backup"
    )
    subs = Subscribers(engine)
    docking = subs.add_list("Docking farms", "DOCKING")
    subs.join(TOM, "DOCKING", name="Tom Wright", method="sms")
    seen = file(desk, KEEPER, "Silver Subaru KX19 ABC at Docking")
    file(desk, STRANGER, "lamping near Fring")
    alerts = Alerts(engine, Outbox(engine, OutboxConfig(), "test"), subs)
    alert = alerts.create("Keep watch", ["DOCKING"], by="operator1")
    outbox = alerts.outbox
    forward = outbox.claim("m1")  # the forward to the officer goes first (duty traffic)
    assert forward is not None and forward.to == OFFICER and KEEPER in forward.text
    outbox.park(forward.id, KeyError("a bug"))  # shown in the inbox's "needs a look"
    while (sent := outbox.claim("m1")) is not None:  # the alert reached Tom: he replies
        outbox.mark_sent(sent.id, [sent.id])
    [reply] = Inbox(engine, InboundConfig()).store("m1", IncomingPart(TOM, utcnow(), "seen it"))
    assert alerts.link_reply(TOM, reply.id) == alert.ref
    subs.set_email(TOM, "tom@example.org", channel="both")  # for the leave page
    with engine.connect() as conn:
        leave = conn.scalar(select(Subscriber.email_token).where(Subscriber.phone == TOM))
    Patrols(engine, cfg).add("GATE1", "Field gate", "TF 783 385")
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    tom = subscriber_search.search(engine, TOM).people[0].id
    paths = {
        "dashboard.index": "/",
        "dashboard.inbox": "/inbox",
        "dashboard.audit_log": "/audit",
        "dashboard.watch": "/watch",
        "alerts.index": "/alerts/",
        "alerts.detail": f"/alerts/{alert.ref}",
        "alerts.progress": f"/alerts/{alert.ref}/progress",
        "alerts.new": "/alerts/new",
        "sightings.index": "/sightings/",
        "sightings.detail": f"/sightings/{seen.ref}",
        "people.index": "/subscribers/",
        "people.detail": f"/subscribers/{tom}",
        "people.add": "/subscribers/new",
        "people.erase": f"/subscribers/{tom}/erase",
        "people.csv.export": "/subscribers/export.csv",
        "people.csv.import_file": "/subscribers/import",
        "lists.index": "/lists/",
        "lists.badge": f"/lists/{docking.id}/badge.svg",
        "lists.members": f"/lists/{docking.id}/members.csv",
        "patrols.index": "/patrols/",
        "reports.workbook_xlsx": "/reports/workbook.xlsx",
        "patrols.qr": "/patrols/GATE1/qr.svg",
        "patrols.sheet": "/patrols/sheet.svg",
        "rota.index": "/rota/",
        "rota.edit_operator": f"/rota/operators/{officer.id}",
        "rota.edit_shift": "/rota/shifts/1",
        "reports.index": "/reports/",
        "reports.sightings_csv": "/reports/sightings.csv",
        "reports.alerts_csv": "/reports/alerts.csv",
        "accounts.index": "/users/",
        "auth.login": "/login",
        "api.index": "/api/v1/",
        "api.openapi": "/api/v1/openapi.json",
        "api.sightings": "/api/v1/sightings",
        "api.alert": f"/api/v1/alerts/{alert.ref}",
        "api.status": "/api/v1/status",
        "api.api_map": "/api/v1/map",
        "api.message": f"/api/v1/messages/{forward.id}",
        "api.inbox": "/api/v1/inbox",
        "api.alert_cap": f"/api/v1/alerts/{alert.ref}/cap",
        "api.alerts_atom": "/api/v1/alerts.atom",
        "metrics.metrics": "/metrics",
        "map.index": "/map",
        "leave.ask": f"/leave/{leave}",
    }
    yield Seeded(server.url, paths, users.new_api_token(engine, viewer.id))
    server.stop()


XML = {"api.alert_cap", "api.alerts_atom"}
BINARY = {"reports.workbook_xlsx"}


def readable(raw: bytes) -> str:
    """Every cell of a workbook as text."""
    book = openpyxl.load_workbook(io.BytesIO(raw))
    return "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )


def whole_forms(number: str) -> tuple[str, str, str]:
    """E.164 and the two ways a UK number is written at home."""
    national = "0" + number.removeprefix("+44")
    return number, national, f"{national[:5]} {national[5:]}"


def test_every_route_a_viewer_can_get_shows_numbers_masked(seeded: Seeded, engine: Engine) -> None:
    app = create_app(config.from_dict({"database": {"url": "sqlite://"}}), engine=engine)
    gets = {r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    assert gets - {"static"} == set(seeded.paths), "a new page: add it to `paths`"
    viewer = signed_in(seeded.base, "viewer1")
    allowed = {mask(n) for n in SEEDED}
    shown: dict[str, str] = {}
    for endpoint, path in seeded.paths.items():
        if endpoint in XML:  # CAP and Atom: XML, not JSON
            request = urllib.request.Request(
                seeded.base + path, headers={"Authorization": f"Bearer {seeded.api_token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, text = answer.status, answer.read().decode()
        elif endpoint.startswith("api."):
            status, body, _ = call(seeded.base, "GET", path, seeded.api_token)
            text = str(body)
        elif endpoint in BINARY:  # a workbook or a picture: its text, read as the user would
            status, raw = viewer.get_bytes(path)
            text = readable(raw)
        else:
            reply = viewer.get(path)
            status, text = reply.status, reply.body
        assert status in (200, 403), (path, status)
        for number in SEEDED:
            for form in whole_forms(number):
                assert form not in text, (path, form)
        masks = set(MASKLIKE.findall(text)) - {"+44****123"}  # the API document's example
        assert masks <= allowed, (path, masks - allowed)  # one mask per number, everywhere
        shown[endpoint] = text
    # The places the issue named do show the numbers, masked.
    assert mask(KEEPER) in shown["dashboard.inbox"] and mask(OFFICER) in shown["dashboard.inbox"]
    assert mask(STRANGER) in shown["dashboard.index"]  # the latest texts in
    status = shown["api.status"]
    assert mask(OFFICER) in status and mask(BACKUP) in status and mask(DESK) in status
    assert mask(TOM) in shown["alerts.detail"] and mask(OFFICER) in shown["rota.index"]
    assert mask(OFFICER) in shown["api.message"] and mask(KEEPER) in shown["api.inbox"]
    assert mask(KEEPER) in shown["reports.workbook_xlsx"]


def test_operators_see_the_whole_numbers(seeded: Seeded) -> None:
    operator = signed_in(seeded.base, "operator1")
    assert KEEPER in operator.get("/inbox").body and STRANGER in operator.get("/").body
    assert OFFICER in operator.get("/rota/").body and TOM in operator.get("/subscribers/").body


def test_the_mask_keeps_the_country_code_and_three_digits_and_hides_the_length() -> None:
    assert mask("+447700900123") == "+44****123"
    assert mask("+12015550123") == "+1****123"
    assert mask("+35312345678") == "+353****678"
    assert mask("Vodafone") == "****one" and mask("2580") == "****"
    forward = f"S1001 KX19 ABC from Tom {TOM}: seen 10:15 at TF 81234 56789"
    assert (
        mask_in_text(forward)
        == f"S1001 KX19 ABC from Tom {mask(TOM)}: seen 10:15 at TF 81234 56789"
    )
