"""The sightings pages on a real server: list, filters, detail, ACK, CLOSE and RELAY."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from db_faults import audit_refused
from sighting_filing import (
    DESK,
    HOSTILE_PLACE,
    KEEPER,
    OFFICER,
    STRANGER,
    file,
    make_desk,
    on_shift,
)
from sqlalchemy import Engine, func, select
from web_client import signed_in

from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.models import Alert, Message
from gateway.core.privacy import mask
from gateway.sightings.desk import Sightings
from gateway.subscribers.service import Subscribers

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BACKUP = "+447700900602"
HOUR = timedelta(hours=1)


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


def listed(body: str) -> list[str]:
    """The refs in the table, in order."""
    return re.findall(r'<tr data-ref="(S\d+)"', body)


def test_the_list_is_newest_first_with_plate_and_place_picked_out(
    console: str, desk: Sightings, engine: Engine
) -> None:
    Subscribers(engine).add_list("Docking farms", "DOCKING")
    Subscribers(engine).join(KEEPER, "DOCKING", name="Tom Wright", method="officer", by="pc")
    first = file(desk, KEEPER, "Silver Subaru kx19abc heading to Docking")
    second = file(desk, STRANGER, "lamping near Fring, no plate")
    body = signed_in(console, "viewer1").get("/sightings/").body
    assert listed(body) == [second.ref, first.ref]
    assert '<span class="plate">KX19 ABC</span>' in body
    assert "<mark>kx19abc</mark> heading to <mark>Docking</mark>" in body
    assert '<span class="place">Fring</span>' in body
    rows = {m[1]: m[0] for m in re.finditer(r'<tr data-ref="(S\d+)".*?</tr>', body, re.S)}
    assert "Tom Wright" in rows[first.ref] and "unknown sender" not in rows[first.ref]
    assert "unknown sender" in rows[second.ref] and mask(STRANGER) in rows[second.ref]


def test_the_list_filters_by_status_plate_and_date(console: str, desk: Sightings) -> None:
    subaru = file(desk, KEEPER, "Silver Subaru KX19 ABC at Docking")
    pickup = file(desk, KEEPER, "blue pickup YR68 XYZ at Bircham")
    desk.close(pickup.ref, by="pc")
    browser = signed_in(console, "viewer1")
    assert listed(browser.get("/sightings/?status=open").body) == [subaru.ref]
    assert listed(browser.get("/sightings/?status=closed").body) == [pickup.ref]
    assert listed(browser.get("/sightings/?registration=yr68xyz").body) == [pickup.ref]
    assert listed(browser.get("/sightings/?registration=KX19").body) == [subaru.ref]
    today = utcnow().date()  # the console's zone is Europe/London: at most a day apart
    week = (today - timedelta(days=7)).isoformat()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert len(listed(browser.get(f"/sightings/?from={week}&to={tomorrow}").body)) == 2
    assert listed(browser.get(f"/sightings/?to={week}").body) == []
    bad = browser.get("/sightings/?from=yesterday")
    assert bad.status == 400 and "YYYY-MM-DD" in bad.body


def test_the_detail_keeps_the_original_and_shows_what_was_read(
    console: str, desk: Sightings
) -> None:
    text = "Silver Subaru kx19abc  3 men 2 lurchers\nheading north on the B1153 towards Docking"
    info = file(desk, KEEPER, text)
    body = signed_in(console, "operator1").get(f"/sightings/{info.ref.lower()}").body
    assert f'<div class="text original" id="sighting-text">{text}</div>' in body
    for label, value in (
        ("Colour", "silver"),
        ("Make", "Subaru"),
        ("People", "3"),
        ("Dogs", "2"),
        ("Road", "B1153"),
        ("Direction", "north on the B1153 towards Docking"),
    ):
        assert f'<th scope="row">{label}</th><td>{value}</td>' in body
    assert '<span class="plate">KX19 ABC</span>' in body
    assert f'<span id="sighting-sender">{KEEPER}</span>' in body
    assert signed_in(console, "viewer1").get("/sightings/S99999").status == 404


def test_a_viewer_sees_a_masked_number_no_buttons_and_cannot_post(
    console: str, desk: Sightings
) -> None:
    info = file(desk, STRANGER, "white transit at Bircham")
    viewer = signed_in(console, "viewer1")
    body = viewer.get(f"/sightings/{info.ref}").body
    assert STRANGER not in body and f'<span id="sighting-sender">{mask(STRANGER)}' in body
    assert "<form" not in body.split("</header>")[1]  # only the sign-out form
    token = viewer.csrf(f"/sightings/{info.ref}")
    for action in ("acknowledge", "close", "relay"):
        reply = viewer.post(f"/sightings/{info.ref}/{action}", {"csrf_token": token})
        assert reply.status == 403, action
    assert desk.get(info.ref).status == "open"  # type: ignore[union-attr]


def test_an_operator_acknowledges_then_closes_and_both_are_audited(
    console: str, desk: Sightings, engine: Engine
) -> None:
    on_shift(desk, OFFICER, "PC Lake")
    info = file(desk, KEEPER, "2 dogs running hares behind Church Farm")
    operator = signed_in(console, "operator1")
    assert operator.post(f"/sightings/{info.ref}/acknowledge", {}).status == 400  # no token
    token = operator.csrf(f"/sightings/{info.ref}")
    reply = operator.post(f"/sightings/{info.ref}/acknowledge", {"csrf_token": token})
    assert reply.url.endswith(f"/sightings/{info.ref}") and "escalation stopped" in reply.body
    assert desk.get(info.ref).status == "acknowledged"  # type: ignore[union-attr]
    assert desk.escalate_due(utcnow() + timedelta(hours=1)) == []
    assert 'id="acknowledge"' not in reply.body and 'id="close"' in reply.body
    reply = operator.post(f"/sightings/{info.ref}/close", {"csrf_token": token})
    assert desk.get(info.ref).status == "closed"  # type: ignore[union-attr]
    assert 'id="close"' not in reply.body
    assert [kind for kind, _ in history_items(reply.body)][-2:] == ["acknowledged", "closed"]
    assert history_items(reply.body)[-1][1].endswith("Closed by operator1")
    done = [(e.actor, e.action, e.detail) for e in audit.entries(engine) if "sighting" in e.action]
    assert done == [
        ("operator1", "sighting-closed", info.ref),
        ("operator1", "sighting-acknowledged", info.ref),
    ]


def test_relay_sends_an_alert_that_never_names_the_reporter(
    console: str, desk: Sightings, engine: Engine
) -> None:
    subscribers = Subscribers(engine)
    subscribers.add_list("Docking farms", "DOCKING")
    subscribers.join(KEEPER, "DOCKING", name="Tom Wright", method="officer", by="pc")
    subscribers.join("+447700900503", "DOCKING", method="officer", by="pc")
    info = file(desk, KEEPER, "Silver Subaru KX19 ABC at Stanhoe pond, Tom here")
    operator = signed_in(console, "operator1")
    page = operator.get(f"/sightings/{info.ref}").body
    offered = re.search(r'<textarea name="text"[^>]*>([^<]*)</textarea>', page)
    assert offered is not None
    text = offered.group(1)
    assert "KX19 ABC" in text and "Tom" not in text and KEEPER not in text
    token = operator.csrf(f"/sightings/{info.ref}")
    refused = operator.post(f"/sightings/{info.ref}/relay", {"csrf_token": token, "text": text})
    assert refused.status == 400 and "choose at least one list" in refused.body
    reply = operator.post(
        f"/sightings/{info.ref}/relay", {"csrf_token": token, "text": text, "lists": "DOCKING"}
    )
    assert reply.status == 200 and f"{info.ref} relayed as A1001 to 2 people" in reply.body
    with engine.connect() as conn:
        sent = conn.execute(select(Message.to, Message.text).where(Message.alert_id.is_not(None)))
        assert sorted(sent) == sorted((n, text) for n in (KEEPER, "+447700900503"))
    [entry] = audit.entries(engine, action="sighting-relayed")
    assert (entry.actor, entry.detail) == ("operator1", f"{info.ref} as A1001 to DOCKING")
    assert desk.get(info.ref).status == "acknowledged"  # type: ignore[union-attr]
    assert desk.escalate_due(utcnow() + HOUR) == []  # relaying took it: it climbs no further


def test_a_relay_cut_short_at_the_console_leaves_no_alert(
    console: str, desk: Sightings, engine: Engine
) -> None:
    """The alert, the take and the audit entry are one transaction: when the last write
    fails, no farm is texted and the report stays open, so trying again makes one alert."""
    Subscribers(engine).add_list("Docking farms", "DOCKING")
    Subscribers(engine).join("+447700900503", "DOCKING", method="officer", by="pc")
    info = file(desk, KEEPER, "Silver Subaru KX19 ABC at Stanhoe pond")
    operator = signed_in(console, "operator1")
    token = operator.csrf(f"/sightings/{info.ref}")
    relay = {"csrf_token": token, "text": "Silver Subaru KX19 ABC near Stanhoe", "lists": "DOCKING"}
    with audit_refused(engine, "sighting-relayed"):
        assert operator.post(f"/sightings/{info.ref}/relay", relay).status == 500
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert)) == 0
        assert conn.scalar(select(func.count()).where(Message.alert_id.is_not(None))) == 0
    assert desk.get(info.ref).status == "open"  # type: ignore[union-attr]
    assert operator.post(f"/sightings/{info.ref}/relay", relay).status == 200
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert)) == 1


def test_hostile_text_shows_as_text_on_the_list_and_the_detail(
    console: str, desk: Sightings
) -> None:
    info = file(desk, KEEPER, f"{HOSTILE} KX19 ABC at {HOSTILE_PLACE}")
    assert info.place == HOSTILE_PLACE
    browser = signed_in(console, "operator1")
    for path in ("/sightings/", f"/sightings/{info.ref}"):
        body = browser.get(path).body
        assert "<script>alert" not in body and "<img src=x" not in body, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Farm" in body, path


def history_items(body: str) -> list[tuple[str, str]]:
    """(kind, text without tags) of each step in the sighting's history, in page order."""
    found = re.findall(r'<li data-kind="([a-z-]+)">(.*?)</li>', body, re.S)
    return [(kind, re.sub(r"<[^>]+>", "", text)) for kind, text in found]


def test_the_detail_shows_the_whole_history_in_time_order(
    console: str, desk: Sightings, engine: Engine
) -> None:
    """Filed, the forward to the officer, the escalations with each message's state, the
    SMS acknowledgement, the relay as an alert and the close: all on the page."""
    officer = on_shift(desk, OFFICER, "PC Lake")
    backup = desk.rota.add_operator("PC Hale", BACKUP)
    desk.rota.add_shift(backup.id, utcnow() - HOUR, utcnow() + HOUR, role="backup")
    Subscribers(engine).add_list("Docking farms", "DOCKING")
    Subscribers(engine).join("+447700900503", "DOCKING", method="officer", by="pc")
    info = file(desk, KEEPER, "Silver Subaru KX19 ABC at Stanhoe pond")
    forward = desk.outbox.claim("m1")
    assert forward is not None and forward.to == OFFICER
    desk.outbox.mark_sent(forward.id, [7])
    desk.escalate_due(utcnow() + timedelta(seconds=61))  # to the backup
    to_backup = desk.outbox.claim("m1")
    assert to_backup is not None and to_backup.to == BACKUP
    desk.outbox.mark_failed(to_backup.id, "+CMS ERROR 1: unassigned number")
    desk.escalate_due(utcnow() + timedelta(seconds=122))  # to the desk; left queued
    assert desk.acknowledge(info.ref, officer)  # PC Lake's ACK by SMS
    operator = signed_in(console, "operator1")
    token = operator.csrf(f"/sightings/{info.ref}")
    relay = {"csrf_token": token, "text": "Silver Subaru KX19 ABC near Stanhoe", "lists": "DOCKING"}
    assert operator.post(f"/sightings/{info.ref}/relay", relay).status == 200
    body = operator.post(f"/sightings/{info.ref}/close", {"csrf_token": token}).body
    steps = history_items(body)
    assert [kind for kind, _ in steps] == [
        "filed",
        "forwarded",
        "thanked",
        "escalated",
        "escalated",
        "acknowledged",
        "relayed",
        "closed",
    ]
    text = dict(enumerate(t for _, t in steps))
    assert text[0].endswith(f"Filed: received from {KEEPER}")
    assert text[1].endswith(f"Forwarded to the officer on duty (PC Lake {OFFICER}): sent")
    assert text[2].endswith("Thanks texted to the reporter: queued")
    assert f"escalated to the backup officer (PC Hale {BACKUP}): failed (+CMS ERROR 1" in text[3]
    assert text[4].endswith(f"escalated to the control room desk ({DESK}): queued")
    assert text[5].endswith("Acknowledged by PC Lake")
    assert text[6].endswith("Relayed as A1001 to DOCKING by operator1")
    assert text[7].endswith("Closed by operator1")
    assert '<a href="/alerts/A1001">A1001</a>' in body

    viewer = signed_in(console, "viewer1").get(f"/sightings/{info.ref}").body
    seen = " ".join(t for _, t in history_items(viewer))
    for phone in (KEEPER, OFFICER, BACKUP, DESK):
        assert phone not in viewer and mask(phone) in seen
