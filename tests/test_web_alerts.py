"""The alert pages over a real HTTP server and a real SQLite file: compose, preview,
confirm, send, schedule, the list, the detail with its progress, cancel and resend."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from drama import mobile
from sqlalchemy import Engine, func, select
from web_client import Browser, Reply, signed_in

from gateway.alerts.cost import preview
from gateway.alerts.service import AlertInfo, Alerts
from gateway.alerts.templates import Templates
from gateway.core import audit
from gateway.core.config import InboundConfig, OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Alert, Message
from gateway.inbox.store import Inbox, IncomingPart
from gateway.outbox.queue import Outbox
from gateway.subscribers.gate import SendGate
from gateway.subscribers.service import Subscribers

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
DOCKING = [mobile(n) for n in range(100, 103)]
BIRCHAM = [mobile(102), mobile(103)]  # one number on both lists: sent to once
LONG = "Suspect vehicle silver Subaru seen heading north on the B1153 towards Docking. " * 3


class _Form(HTMLParser):
    """The named inputs of one form, as a browser would submit them (no buttons)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag == "input" and a.get("name"):
            self.fields.append((a["name"] or "", a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(body: str, form_id: str) -> list[tuple[str, str]]:
    parser = _Form(form_id)
    parser.feed(body)
    assert parser.fields, f"no form #{form_id}"
    return parser.fields


def post(browser: Browser, path: str, fields: list[tuple[str, str]]) -> Reply:
    """A form post with repeated names (several lists ticked)."""
    data = urllib.parse.urlencode(fields).encode()
    return browser._open(urllib.request.Request(browser.base + path, data=data, method="POST"))


def figure(body: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', body)
    assert found, f"no #{element_id}"
    return found.group(1)


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list("Docking farms", "DOCKING")
    s.add_list("Bircham estate", "BIRCHAM")
    for phone in DOCKING:
        s.join(phone, "DOCKING", method="officer", by="pc")
    for phone in BIRCHAM:
        s.join(phone, "BIRCHAM", method="officer", by="pc")
    return s


@pytest.fixture
def alerts(engine: Engine, subs: Subscribers) -> Alerts:
    return Alerts(engine, Outbox(engine, OutboxConfig(), "test"), subs)


def compose(browser: Browser, action: str, **values: str) -> Reply:
    fields = [("csrf_token", browser.csrf("/alerts/new")), ("action", action), ("smart", "on")]
    fields += [("lists", x) for x in values.pop("lists", "").split(",") if x]
    return post(browser, "/alerts/new", fields + list(values.items()))


def outbox_rows(engine: Engine, alert: AlertInfo | None = None) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        query = select(Message.to, Message.status, Message.kind).order_by(Message.id)
        if alert is not None:
            query = query.where(Message.alert_id == alert.id)
        return [tuple(r) for r in conn.execute(query)]


def test_the_live_and_the_button_preview_give_gateway_previews_numbers(
    console: str, subs: Subscribers
) -> None:
    browser = signed_in(console)
    seen = set()
    for text, smart in ((LONG, True), ("Car \u2013 \u201cblue\u201d", False)):
        expected = preview(text, footer="Reply STOP", recipients=4, smart=smart)
        seen.add((expected.encoding, expected.parts))
        fields = [("lists", "DOCKING"), ("lists", "BIRCHAM"), ("text", text)]
        fields += [("footer", "Reply STOP")] + ([("smart", "on")] if smart else [])
        token = browser.csrf("/alerts/new")
        req = urllib.request.Request(  # compose.js sends the token in a header
            console + "/alerts/preview",
            data=urllib.parse.urlencode(fields).encode(),
            headers={"X-CSRFToken": token},
            method="POST",
        )
        with browser.opener.open(req, timeout=10) as resp:
            live = json.loads(resp.read())
        assert live["encoding"] == {"gsm7": "GSM-7", "ucs2": "UCS-2"}[expected.encoding]
        got = (live["characters"], live["parts"], live["recipients"], live["total_parts"])
        assert got == (expected.characters, expected.parts, 4, expected.total_parts)
        assert live["text"] == expected.text
        page = post(browser, "/alerts/new", [("csrf_token", token), ("action", "preview"), *fields])
        assert page.status == 200
        assert figure(page.body, "preview-parts") == str(expected.parts)
        assert figure(page.body, "preview-total") == str(expected.total_parts)
        assert figure(page.body, "preview-encoding") == live["encoding"]
    assert seen == {("gsm7", 2), ("ucs2", 1)}  # both encodings, and a text of two parts


def test_the_confirmation_states_the_count_and_a_missing_list_is_refused(
    console: str, subs: Subscribers
) -> None:
    browser = signed_in(console)
    page = compose(browser, "confirm", lists="DOCKING,BIRCHAM", text=LONG)
    assert page.status == 200
    assert figure(page.body, "confirm-count") == "Send to 4 recipients, 8 parts?"
    assert ">Send now</button>" in page.body
    refused = compose(browser, "confirm", text=LONG)
    assert refused.status == 400 and "choose at least one list" in refused.body


def test_send_now_creates_the_alert_queues_it_and_records_it_once(
    console: str, engine: Engine, subs: Subscribers
) -> None:
    browser = signed_in(console)
    page = compose(browser, "confirm", lists="DOCKING,BIRCHAM", text="Blue van at Docking")
    sent = post(browser, "/alerts/send", form_fields(page.body, "confirm"))
    assert sent.status == 200 and sent.url == console + "/alerts/A1001"
    assert "Blue van at Docking" in sent.body and "is going to 4 recipients" in sent.body
    assert outbox_rows(engine) == [(p, "queued", "broadcast") for p in DOCKING + BIRCHAM[1:]]
    done = [(e.actor, e.action) for e in audit.entries(engine) if e.action.startswith("alert")]
    assert done == [("operator1", "alert-sent")]
    assert figure(sent.body, "alert-status") == "sending"


def test_a_template_becomes_fields_and_its_text(
    console: str, engine: Engine, subs: Subscribers
) -> None:
    Templates(engine).add("suspect", "Suspect {colour} car {registration} at {place}", by="t")
    browser = signed_in(console)
    form = compose(browser, "template", template="suspect")
    assert all(f'name="field_{name}"' in form.body for name in ("colour", "registration", "place"))
    assert 'name="text"' not in form.body
    fields = {"field_colour": "red", "field_registration": "kx19abc", "field_place": "Docking"}
    page = compose(browser, "confirm", lists="DOCKING", template="suspect", **fields)
    assert figure(page.body, "confirm-text") == "Suspect red car KX19 ABC at Docking"
    missing = compose(browser, "confirm", lists="DOCKING", template="suspect", field_colour="red")
    assert missing.status == 400 and "no value for registration, place" in missing.body


def test_an_alert_scheduled_for_later_waits(
    console: str, engine: Engine, subs: Subscribers
) -> None:
    zone = ZoneInfo("Europe/London")  # the default gateway.timezone
    local = (datetime.now(zone) + timedelta(hours=2)).replace(second=0, microsecond=0)
    browser = signed_in(console)
    at = local.strftime("%Y-%m-%dT%H:%M")
    page = compose(browser, "confirm", lists="DOCKING", text="Meeting at dawn", send_at=at)
    assert figure(page.body, "confirm-count").startswith(f"Send at {local:%a %d %b %Y %H:%M} to 3")
    done = post(browser, "/alerts/send", form_fields(page.body, "confirm"))
    assert done.url == console + "/alerts/A1001"
    with engine.connect() as conn:
        row = conn.execute(select(Alert.status, Alert.send_at)).one()
    assert row == ("scheduled", local.astimezone(UTC).replace(tzinfo=None))
    assert outbox_rows(engine) == []
    assert [e.action for e in audit.entries(engine, actor="operator1", action="alert-scheduled")]
    past = (datetime.now(zone) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    late = compose(browser, "confirm", lists="DOCKING", text="Too late", send_at=past)
    assert late.status == 400 and "has passed" in late.body


def test_cancel_stops_the_queued_messages_and_is_audited(
    console: str, engine: Engine, alerts: Alerts
) -> None:
    made = alerts.create("Stand down", ["DOCKING"], by="operator1")
    browser = signed_in(console)
    page = browser.get(f"/alerts/{made.ref}")
    assert 'id="cancel"' in page.body
    done = post(browser, f"/alerts/{made.ref}/cancel", form_fields(page.body, "cancel-form"))
    assert done.url == console + f"/alerts/{made.ref}" and "3 message(s) not sent" in done.body
    assert figure(done.body, "alert-status") == "cancelled" and 'id="cancel"' not in done.body
    assert {status for _, status, _ in outbox_rows(engine)} == {"cancelled"}
    cancelled = audit.entries(engine, actor="operator1", action="alert-cancelled")
    assert [e.detail for e in cancelled] == [f"{made.ref}: 3 not sent"]


def test_a_viewer_reads_alerts_but_cannot_change_them(
    console: str, engine: Engine, alerts: Alerts
) -> None:
    made = alerts.create("Watch the lanes", ["DOCKING"], by="operator1")
    claimed = alerts.outbox.claim("m1")
    assert claimed is not None
    alerts.outbox.mark_failed(claimed.id, "no signal")
    viewer = signed_in(console, "viewer1")
    listing = viewer.get("/alerts/")
    assert listing.status == 200 and made.ref in listing.body
    assert "/alerts/new" not in listing.body and "New alert" not in listing.body
    page = viewer.get(f"/alerts/{made.ref}")
    assert page.status == 200 and "Watch the lanes" in page.body
    assert "/cancel" not in page.body and "/resend" not in page.body
    assert viewer.get("/alerts/new").status == 403
    assert viewer.get("/alerts/A9999").status == 404
    token = viewer.csrf(f"/alerts/{made.ref}")  # the sign-out form's: a valid token
    fields = [("csrf_token", token), ("lists", "DOCKING"), ("text", "x"), ("action", "confirm")]
    for path in ("/alerts/new", "/alerts/preview", "/alerts/send"):
        assert post(viewer, path, fields).status == 403, path
    for path in (f"/alerts/{made.ref}/cancel", f"/alerts/{made.ref}/resend"):
        assert post(viewer, path, [("csrf_token", token)]).status == 403, path
    assert [a.status for a in alerts.recent()] == ["sending"]
    assert alerts.progress(made.ref)["failed"] == 1


def test_hostile_text_in_an_alert_and_a_reply_shows_as_text(
    console: str, engine: Engine, alerts: Alerts
) -> None:
    made = alerts.create(HOSTILE, ["DOCKING"], by="operator1", smart=False)
    outbox = alerts.outbox
    claimed = outbox.claim("m1")
    assert claimed is not None
    outbox.mark_sent(claimed.id, [1])
    (reply,) = Inbox(engine, InboundConfig()).store(
        "m1", IncomingPart(claimed.to, utcnow(), HOSTILE)
    )
    assert alerts.link_reply(claimed.to, reply.id) == made.ref
    browser = signed_in(console)
    for path in ("/alerts/", f"/alerts/{made.ref}"):
        body = browser.get(path).body
        assert "<script>alert" not in body and "<img src=x" not in body, path
        assert ESCAPED in body, path
    detail = browser.get(f"/alerts/{made.ref}").body
    assert detail.count(ESCAPED) == 2  # the alert's text and the reply's


def test_a_post_without_the_csrf_token_is_refused(
    console: str, engine: Engine, alerts: Alerts
) -> None:
    made = alerts.create("Keep watch", ["DOCKING"], by="operator1")
    browser = signed_in(console)
    fields = [("lists", "DOCKING"), ("text", "Forged"), ("action", "confirm")]
    for path in ("/alerts/new", "/alerts/preview", "/alerts/send", f"/alerts/{made.ref}/cancel"):
        assert post(browser, path, fields).status == 400, path
    assert [(a.ref, a.status) for a in alerts.recent()] == [(made.ref, "sending")]


def test_the_progress_json_matches_the_outbox_and_ends_as_sent(
    console: str, engine: Engine, alerts: Alerts
) -> None:
    made = alerts.create("Road closed at Bircham", ["DOCKING", "BIRCHAM"], by="operator1")
    outbox = alerts.outbox
    first, second = outbox.claim("m1"), outbox.claim("m1")
    assert first and second
    outbox.mark_sent(first.id, [7])
    outbox.mark_failed(second.id, "number not in service")
    browser = signed_in(console)
    got = json.loads(browser.get(f"/alerts/{made.ref}/progress").body)
    with engine.connect() as conn:
        counted = dict(
            conn.execute(
                select(Message.status, func.count())
                .where(Message.alert_id == made.id)
                .group_by(Message.status)
            ).all()
        )
    assert {s: got[s] for s in counted} == counted == {"sent": 1, "failed": 1, "queued": 2}
    assert (got["status"], got["recipients"], got["done"]) == ("sending", 4, 2)
    while (claimed := outbox.claim("m1")) is not None:
        outbox.mark_sent(claimed.id, [8])
    got = json.loads(browser.get(f"/alerts/{made.ref}/progress").body)
    assert (got["status"], got["sent"], got["failed"], got["queued"]) == ("sent", 3, 1, 0)
    page = browser.get(f"/alerts/{made.ref}")
    assert figure(page.body, "alert-status") == "sent" and figure(page.body, "count-sent") == "3"
    assert 'http-equiv="refresh"' not in page.body  # finished: no reloading without JS
    resent = post(browser, f"/alerts/{made.ref}/resend", form_fields(page.body, "resend-form"))
    assert "1 failed message(s) queued again" in resent.body
    assert figure(resent.body, "alert-status") == "sending"
    assert [e.action for e in audit.entries(engine, actor="operator1")].count("alert-resent") == 1


def test_an_opted_out_recipient_is_counted_apart_and_never_resent(
    console: str, engine: Engine, alerts: Alerts, subs: Subscribers
) -> None:
    made = alerts.create("Road closed at Docking", ["DOCKING"], by="operator1")
    outbox = alerts.outbox
    sent, failed, stopped = (outbox.claim("m1") for _ in range(3))
    assert sent and failed and stopped
    subs.set_stopped(stopped.to, True)  # STOP came while it was queued
    verdict = SendGate(subs)(stopped)
    assert verdict.action == "drop"
    outbox.mark_opted_out(stopped.id, verdict.reason)  # what the worker does with a drop
    outbox.mark_sent(sent.id, [7])
    outbox.mark_failed(failed.id, "number not in service")
    browser = signed_in(console)
    got = json.loads(browser.get(f"/alerts/{made.ref}/progress").body)
    assert (got["status"], got["done"]) == ("sent", 3)
    assert (got["sent"], got["failed"], got["opted_out"]) == (1, 1, 1)
    page = browser.get(f"/alerts/{made.ref}")
    assert figure(page.body, "count-opted_out") == "1" and figure(page.body, "count-failed") == "1"
    assert figure(page.body, "resend") == "Resend failed (1)"
    resent = post(browser, f"/alerts/{made.ref}/resend", form_fields(page.body, "resend-form"))
    assert "1 failed message(s) queued again" in resent.body
    assert sorted(s for _, s, _ in outbox_rows(engine, made)) == ["opted_out", "queued", "sent"]
