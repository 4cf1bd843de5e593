"""The dashboard on a real server: open sightings and their ACK button, hot vehicles, who
is on duty and next, rota gaps, modems with signal bars."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sighting_filing import HOSTILE_PLACE, KEEPER, OFFICER, STRANGER, file, make_desk, on_shift
from sqlalchemy import Engine
from web_client import signed_in

from gateway.core import audit
from gateway.core.config import InboundConfig, OutboxConfig
from gateway.core.db import utcnow
from gateway.core.privacy import mask
from gateway.inbox.store import ROUTE_ATTEMPTS, Inbox, IncomingPart
from gateway.modems import status as modem_status
from gateway.outbox.queue import Outbox
from gateway.sightings.desk import Sightings

NIGHT = "+447700900602"


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


def section(body: str, element_id: str) -> str:
    """The element with this id, up to its closing tag (none of them nest their own)."""
    found = re.search(rf'<(\w+)[^>]* id="{element_id}".*?</\1>', body, re.S)
    assert found, f"no #{element_id}"
    return found.group(0)


def test_open_sightings_show_newest_first_with_links(console: str, desk: Sightings) -> None:
    older = file(desk, KEEPER, "Silver Subaru KX19 ABC at Docking")
    newer = file(desk, KEEPER, "lamping near Fring")
    closed = file(desk, KEEPER, "white van at Bircham")
    desk.close(closed.ref, by="pc")
    table = section(signed_in(console, "viewer1").get("/").body, "open-sightings")
    assert re.findall(r'<a class="ref" href="/sightings/(S\d+)">\1</a>', table) == [
        newer.ref,
        older.ref,
    ]
    assert "Acknowledge" not in table  # a viewer reads only


def test_an_operator_acknowledges_from_the_dashboard(
    console: str, desk: Sightings, engine: Engine
) -> None:
    on_shift(desk, OFFICER, "PC Lake")
    info = file(desk, KEEPER, "2 dogs running hares behind Church Farm")
    operator = signed_in(console, "operator1")
    table = section(operator.get("/").body, "open-sightings")
    assert f'action="/sightings/{info.ref}/acknowledge"' in table
    assert '<button type="submit">Acknowledge</button>' in table
    token = operator.csrf("/")
    reply = operator.post(
        f"/sightings/{info.ref}/acknowledge", {"csrf_token": token, "back": "dashboard"}
    )
    assert reply.url == console + "/" and f"{info.ref} acknowledged" in reply.body
    assert info.ref not in section(reply.body, "open-sightings")
    assert desk.escalate_due(utcnow() + timedelta(hours=1)) == []
    [entry] = audit.entries(engine, action="sighting-acknowledged")
    assert (entry.actor, entry.detail) == ("operator1", info.ref)


def test_it_shows_who_is_on_duty_who_is_next_and_the_gap(console: str, desk: Sightings) -> None:
    on_shift(desk, OFFICER, "PC Lake", hours=8)  # then nobody for two hours ...
    night = desk.rota.add_operator("PC Night", NIGHT)
    start = utcnow() + timedelta(hours=10)
    desk.rota.add_shift(night.id, start, start + timedelta(days=8))  # ... then PC Night
    body = signed_in(console, "viewer1").get("/").body
    duty = section(body, "on-duty")
    assert '<strong class="duty-primary">PC Lake</strong>' in duty
    assert mask(OFFICER) in duty and OFFICER not in duty  # a viewer sees a mask
    assert "nobody (a gap begins)" in section(body, "next-duty")
    [gap] = re.findall(r"<li>([^<]*)</li>", section(body, "rota-gaps"))
    assert gap.endswith("(2.0 h)")


def test_the_next_handover_is_the_next_change_of_people(desk: Sightings) -> None:
    rota, now = desk.rota, utcnow()
    day, night = rota.add_operator("PC Day", OFFICER), rota.add_operator("PC Night", NIGHT)
    rota.add_shift(day.id, now - timedelta(hours=1), now + timedelta(hours=2))
    rota.add_shift(day.id, now + timedelta(hours=2), now + timedelta(hours=4))  # same person
    rota.add_shift(night.id, now + timedelta(hours=4), now + timedelta(hours=9))
    assert rota.next_handover(now) == (now + timedelta(hours=4), night, None)
    assert rota.next_handover(now + timedelta(hours=5)) == (now + timedelta(hours=9), None, None)
    assert rota.next_handover(now + timedelta(hours=10)) is None


def test_hot_vehicles_are_listed_with_a_link_to_their_reports(
    console: str, desk: Sightings
) -> None:
    file(desk, KEEPER, "KX19 ABC parked by the gate at Bircham")
    file(desk, STRANGER, "kx19abc going fast towards Docking")
    file(desk, KEEPER, "YR68 XYZ at Fring")
    hot = section(signed_in(console, "viewer1").get("/").body, "hot-vehicles")
    assert re.findall(r'<span class="plate">([^<]+)</span>', hot) == ["KX19 ABC"]
    assert 'href="/sightings/?registration=KX19+ABC"' in hot and "2 people, 2 reports" in hot


def test_modems_show_their_state_and_signal_bars(console: str, engine: Engine) -> None:
    modem_status.record(engine, "dongle1", "pi", state="ready", rssi=18)
    modem_status.record(engine, "dongle2", "pi", state="no-sim", rssi=None)
    modems = section(signed_in(console, "viewer1").get("/").body, "modems")
    assert 'aria-label="4 of 5 bars"' in modems and "-77 dBm" in modems
    assert 'aria-label="0 of 5 bars"' in modems and "unknown" in modems
    assert '<td class="state-bad">no-sim' in modems
    assert 'data-state="queued"' in section(signed_in(console, "viewer1").get("/").body, "queue")


def test_hostile_text_shows_as_text_on_the_dashboard(console: str, desk: Sightings) -> None:
    file(desk, KEEPER, f'<script>alert("x")</script> KX19 ABC at {HOSTILE_PLACE}')
    file(desk, STRANGER, f"KX19 ABC again at {HOSTILE_PLACE}")
    body = signed_in(console, "operator1").get("/").body
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in section(body, "open-sightings")


def test_the_page_refreshes_itself_with_a_static_script(console: str) -> None:
    browser = signed_in(console, "viewer1")
    body = browser.get("/").body
    assert '<noscript><meta http-equiv="refresh"' in body
    script = re.search(r'<script src="([^"]+)" defer></script>', body)
    assert script is not None
    code = browser.get(script.group(1))
    assert code.status == 200 and 'getElementById("live")' in code.body


def test_what_the_gateway_kept_but_could_not_finish_needs_a_look(
    console: str, engine: Engine
) -> None:
    """Texts whose routing gave up, PDUs kept raw, parked messages: on the dashboard and
    in the inbox, hostile text escaped."""
    inbox = Inbox(engine, InboundConfig())
    [stuck] = inbox.store("e1", IncomingPart(KEEPER, utcnow(), "<b>KX19 ABC</b> at Docking"))
    for _ in range(ROUTE_ATTEMPTS):
        inbox.route_failed(stuck.id, "RuntimeError: <i>handler</i> down")
    inbox.store_undecodable("e1", "0791447700", "truncated <PDU>")
    outbox = Outbox(engine, OutboxConfig(), node="test")
    bad = outbox.enqueue(KEEPER, "crash me")
    assert outbox.claim("m1") is not None
    outbox.park(bad, KeyError("a bug"))
    viewer = signed_in(console, "viewer1")
    look = section(viewer.get("/").body, "needs-look")
    assert "<b>1</b> received text(s) could not be routed" in look
    assert "<b>1</b> SMS kept raw" in look and "<b>1</b> outbound message(s) parked" in look
    page = section(viewer.get("/inbox").body, "needs-look")
    assert "&lt;b&gt;KX19 ABC&lt;/b&gt; at Docking" in page and "<b>KX19" not in page
    assert "not routed: RuntimeError: &lt;i&gt;handler&lt;/i&gt; down" in page
    assert "truncated &lt;PDU&gt;" in page and "parked: KeyError" in page


def test_nothing_needs_a_look_on_a_quiet_day(console: str) -> None:
    assert 'id="needs-look"' not in signed_in(console, "viewer1").get("/").body
