"""The console shows each channel an alert goes by (the SIMs, a hosted SMS service, email):
progress per channel on the alert pages and in their JSON, each channel's share in the
compose preview, the hosted services and email apart from the modems on the dashboard,
and `by_channel` in the API. A real console over real HTTP and a real SQLite file."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channel_alert import BY_FASTSMS, DOCKING, mixed_alert, outbox_of
from drama import mobile
from sqlalchemy import Engine
from web_client import PASSWORD, Browser, signed_in

from gateway.alerts.service import Alerts
from gateway.core import config, users
from gateway.modems import status as modem_status
from gateway.subscribers.service import Subscribers
from web import create_app
from web.server import ConsoleServer

HOSTILE = "<script>alert(1)</script>"  # short enough for a channel's 32 characters
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def text_of(fragment: str) -> str:
    """What a reader sees: a line break or a list item as a space, other tags out,
    entities read, blank space as one space."""
    spaced = re.sub(r"<br>|</li>", " ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", spaced)).split())


def between(body: str, start: str, end: str) -> str:
    assert start in body, f"no {start!r} on the page"
    return body.split(start, 1)[1].split(end, 1)[0]


def test_the_alert_page_shows_progress_by_channel_and_its_json_too(
    console: str, engine: Engine
) -> None:
    made = mixed_alert(engine)
    browser = signed_in(console, "viewer1")
    page = browser.get(f"/alerts/{made.ref}").body
    shown = text_of(between(page, '<ul id="by-channel">', "</ul>"))
    assert shown == (
        "by SIM: queued 2, sent 1 by fastsms: queued 1, sent 2, delivered 1 by email: queued 1"
    )
    assert 'id="by-channel-section" aria-labelledby="by-channel-title">' in page  # not hidden
    live = json.loads(browser.get(f"/alerts/{made.ref}/progress").body)
    assert live["by_channel"] == {
        "sim": {"queued": 2, "sent": 1},
        "fastsms": {"queued": 1, "sent": 2, "delivered": 1},
        "email": {"queued": 1},
    }
    assert [(c["label"], c["summary"]) for c in live["channels"]] == [
        ("SIM", "queued 2, sent 1"),
        ("fastsms", "queued 1, sent 2, delivered 1"),
        ("email", "queued 1"),
    ]
    assert (live["sent"], live["delivered"], live["queued"]) == (3, 1, 4)


def test_the_alerts_list_shows_channels_only_for_an_alert_beyond_the_sims(
    console: str, engine: Engine
) -> None:
    mixed = mixed_alert(engine)
    subs = Subscribers(engine)
    only_sims = Alerts(engine, outbox_of(engine), subs).create("Gates shut", ["DOCKING"], by="x")
    browser = signed_in(console, "viewer1")
    listing = browser.get("/alerts/").body
    assert "<th>By channel</th>" in listing
    mixed_row = between(listing, f'<tr data-ref="{mixed.ref}">', "</tr>")
    cell = text_of(between(mixed_row, '<td class="by-channel">', "</td>"))
    assert cell == "SIM: 1 of 3 sent fastsms: 3 of 4 sent email: 0 of 1 sent"
    plain_row = between(listing, f'<tr data-ref="{only_sims.ref}">', "</tr>")
    assert between(plain_row, '<td class="by-channel">', "</td>") == ""
    page = browser.get(f"/alerts/{only_sims.ref}").body
    assert 'id="by-channel-section" aria-labelledby="by-channel-title" hidden>' in page
    assert "<li data-channel" not in page
    assert json.loads(browser.get(f"/alerts/{only_sims.ref}/progress").body)["channels"] == []


def test_a_hostile_channel_name_and_text_show_as_text(console: str, engine: Engine) -> None:
    made = mixed_alert(engine, hosted=HOSTILE, text=HOSTILE)
    browser = signed_in(console, "operator1")
    pages = {path: browser.get(path).body for path in ("/alerts/", f"/alerts/{made.ref}")}
    for path, body in pages.items():
        assert "<script>alert(1)" not in body, path
        assert f'data-channel="{ESCAPED}"' in body, path
    assert f">{ESCAPED}: 3 of 4 sent" in pages["/alerts/"]
    assert f"<b>by {ESCAPED}</b>" in pages[f"/alerts/{made.ref}"]
    assert ESCAPED in between(pages[f"/alerts/{made.ref}"], 'id="alert-text">', "</div>")


# -- the compose preview -------------------------------------------------------------------


@pytest.fixture
def hosted_console(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[str]:
    """A console whose gateway has a FastSMS account for overflow (capped at 20 a day,
    10 a second, 1.5 credits a part) and email; 25 people on DOCKING, two of them also
    by email."""
    token = tmp_path / "fastsms.token"
    token.write_text("not-a-real-token\n")
    cfg = config.from_dict(
        {
            "database": {"url": db_url},
            "provider": [
                {
                    "name": "fastsms",
                    "kind": "fastsms",
                    "token_file": str(token),
                    "sender": "NorfolkPol",
                    "use": "overflow",
                    "max_per_second": 10,
                    "max_per_day": 20,
                    "credits_per_part": 1.5,
                }
            ],
            "email": {"host": "127.0.0.1", "port": 2525, "sender": "alerts@example.org"},
        }
    )
    users.add(engine, "operator1", PASSWORD, "operator")
    subs = Subscribers(engine)
    subs.add_list("Docking farms", "DOCKING")
    for n in range(25):
        subs.join(mobile(100 + n), "DOCKING", method="officer", by="test")
    for n in range(2):
        subs.set_email(mobile(100 + n), f"keeper{n}@example.org", channel="both")
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()


def live_preview(browser: Browser, fields: list[tuple[str, str]]) -> Any:
    """What compose.js gets: the form, the CSRF token in a header."""
    token = browser.csrf("/alerts/new")
    req = urllib.request.Request(
        browser.base + "/alerts/preview",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"X-CSRFToken": token},
        method="POST",
    )
    with browser.opener.open(req, timeout=10) as resp:
        return json.loads(resp.read())


def shares_on(body: str) -> list[list[str]]:
    table = between(body, '<table id="preview-channels"', "</table>")
    rows = re.findall(r"<tr data-channel=[^>]*>(.*?)</tr>", table)
    return [[text_of(c) for c in re.findall(r"<td>(.*?)</td>", row)] for row in rows]


def test_the_preview_splits_recipients_by_channel_with_credits_and_times(
    hosted_console: str, engine: Engine
) -> None:
    # One SIM with 20 left today: 10 after the duty reserve; the service takes 15.
    modem_status.record(engine, "emu1", "test", state="ready", channel="sim", day_left=20)
    browser = signed_in(hosted_console)
    fields = [("lists", "DOCKING"), ("text", "Gates shut at Docking")]
    live = live_preview(browser, fields)
    assert live["split"] is True and live["recipients"] == 25
    got = [(c["channel"], c["recipients"], c["credits"], c["cost"]) for c in live["channels"]]
    assert got == [
        ("sim", 10, None, "free"),
        ("fastsms", 15, 22.5, "22.5 credits"),
        ("email", 2, None, "free"),
    ]
    times = [c["time"] for c in live["channels"]]
    assert times[0].startswith("about 1 min, done by ")  # 10 at 9 a minute
    assert all(t.startswith("under a minute, done by ") for t in times[1:])  # 10/s, 5/s
    token = browser.csrf("/alerts/new")
    page = browser.post(
        "/alerts/new", {"csrf_token": token, "action": "preview", **dict(fields)}
    ).body
    assert '<table id="preview-channels" aria-label="By channel">' in page  # shown
    assert [row[:3] for row in shares_on(page)] == [
        ["SIM", "10", "free"],
        ["fastsms", "15", "22.5 credits"],
        ["email", "2", "free"],
    ]
    confirm = browser.post(
        "/alerts/new", {"csrf_token": token, "action": "confirm", **dict(fields)}
    )
    assert "Confirm alert" in confirm.body and shares_on(confirm.body)[1][:2] == ["fastsms", "15"]

    # The SIM loses its signal: it has no room today, the service takes its cap of 20,
    # and the 5 left wait for a SIM: "not today".
    modem_status.record(engine, "emu1", "test", state="no-signal")
    later = live_preview(browser, fields)
    rows = [(c["label"], c["recipients"], c["time"]) for c in later["channels"]]
    assert rows[0] == ("SIM", 5, "not today") and rows[1][:2] == ("fastsms", 20)


def test_a_preview_by_sims_alone_hides_the_split(console: str, engine: Engine) -> None:
    subs = Subscribers(engine)
    subs.add_list("Docking farms", "DOCKING")
    subs.join(DOCKING[0], "DOCKING", method="officer", by="test")
    browser = signed_in(console)
    live = live_preview(browser, [("lists", "DOCKING"), ("text", "Gates shut")])
    assert live["split"] is False
    assert [c["channel"] for c in live["channels"]] == ["sim"]
    token = browser.csrf("/alerts/new")
    page = browser.post(
        "/alerts/new", {"csrf_token": token, "action": "preview", "lists": "DOCKING", "text": "x"}
    ).body
    assert '<table id="preview-channels" aria-label="By channel" hidden>' in page


# -- the dashboard -------------------------------------------------------------------------


def test_the_dashboard_lists_hosted_services_and_email_apart_from_the_modems(
    console: str, engine: Engine
) -> None:
    modem_status.record(engine, "emu1", "pi", state="ready", rssi=18, operator="EE")
    modem_status.record(
        engine, "fastsms", "pi", state="ready", channel="provider", model="provider", day_left=1490
    )
    modem_status.record(engine, "email", "pi", state="ready", channel="email", model="email")
    modem_status.record(
        engine, HOSTILE, "pi", state="paused", channel="provider", detail=HOSTILE, day_left=None
    )
    outbox = outbox_of(engine)
    outbox.enqueue_many([(phone, "x") for phone in BY_FASTSMS[:3]], "urgent", channel="fastsms")
    while (taken := outbox.claim("fastsms", channels=("fastsms",))) is not None:
        outbox.mark_handed(taken.id, "id", sender="fastsms")
    body = signed_in(console, "viewer1").get("/").body
    modems = between(body, '<table id="modems">', "</table>")
    assert 'data-modem="emu1"' in modems and modems.count("<tr data-modem=") == 1
    assert body.count('class="bars"') == 1  # no signal bars for a service or email
    listed = between(body, '<ul id="senders">', "</ul>")
    lines = [text_of(li).split(". Updated")[0] for li in re.findall(r"<li.*?</li>", listed, re.S)]
    assert lines == [
        "Email: ready, sent today 0",
        f"Hosted SMS: {HOSTILE} — paused ({HOSTILE}), sent today 0",
        "Hosted SMS: fastsms — ready, sent today 3, 1,490 left today",
    ]
    assert "<script>alert(1)" not in body and body.count(ESCAPED) == 3  # name, data-, detail


def test_the_dashboard_without_services_shows_no_senders_list(console: str, engine: Engine) -> None:
    modem_status.record(engine, "emu1", "pi", state="ready", rssi=18)
    body = signed_in(console, "viewer1").get("/").body
    assert 'data-modem="emu1"' in body and 'id="senders"' not in body


# -- the API -------------------------------------------------------------------------------


def api_get(base: str, path: str, token: str) -> Any:
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_the_api_gives_by_channel_for_an_alert_and_in_the_status(
    console: str, engine: Engine
) -> None:
    made = mixed_alert(engine)
    modem_status.record(engine, "fastsms", "pi", state="ready", channel="provider", day_left=7)
    viewer = next(a for a in users.all_users(engine) if a.role == "viewer")
    token = users.new_api_token(engine, viewer.id)
    expected = {
        "sim": {"queued": 2, "sent": 1},
        "fastsms": {"queued": 1, "sent": 2, "delivered": 1},
        "email": {"queued": 1},
    }
    alert = api_get(console, f"/api/v1/alerts/{made.ref}", token)
    assert alert["by_channel"] == expected
    status = api_get(console, "/api/v1/status", token)
    assert status["alerts"][0]["by_channel"] == expected
    (service,) = status["modems"]
    assert (service["name"], service["channel"], service["day_left"]) == ("fastsms", "provider", 7)
    doc = json.loads(urllib.request.urlopen(console + "/api/v1/openapi.json", timeout=10).read())
    schemas = doc["components"]["schemas"]
    for name in ("Alert", "StatusAlert"):
        assert "by_channel" in schemas[name]["required"], name
        assert schemas[name]["properties"]["by_channel"] == {
            "$ref": "#/components/schemas/ByChannel"
        }
    assert schemas["Modem"]["properties"]["channel"]["enum"] == ["sim", "provider", "email"]
    assert {"paused", "day-limit", "not-sending"} <= set(
        schemas["Modem"]["properties"]["state"]["enum"]
    )
