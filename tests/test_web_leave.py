"""The leave link of alert emails, and email in the subscriber pages, on the real console
(waitress on a loopback port, a real SQLite file)."""

from __future__ import annotations

import re
import urllib.request

import pytest
from drama import mobile
from sqlalchemy import Engine, select
from web_client import Browser, Reply, signed_in

from gateway.core import audit
from gateway.core.models import Consent, Subscriber
from gateway.subscribers.service import Subscribers

ANN, BOB = mobile(101), mobile(102)


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list("Docking farms", "DOCKING")
    s.join(ANN, "DOCKING", name="Ann Bell")
    s.join(BOB, "DOCKING", name="Bob Hale")
    s.set_email(ANN, "ann.bell@example.org", channel="both")
    return s


def link_of(engine: Engine, phone: str) -> str:
    with engine.connect() as conn:
        found = conn.scalar(select(Subscriber.email_token).where(Subscriber.phone == phone))
    assert found
    return str(found)


def stopped(engine: Engine, phone: str) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(select(Subscriber.email_stopped).where(Subscriber.phone == phone)))


def one_click(base: str, path: str) -> Reply:
    """What a mail provider's unsubscribe button sends (RFC 8058): no cookie, no token."""
    req = urllib.request.Request(
        base + path,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return Browser(base)._open(req)


def test_the_link_asks_first_with_the_address_masked_then_stops_emails(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    path = f"/leave/{link_of(engine, ANN)}"
    person = Browser(console)  # nobody signs in to leave
    page = person.get(path)
    assert page.status == 200 and "Stop alert emails to a***@example.org?" in page.body
    assert "ann.bell" not in page.body and ANN not in page.body
    assert not stopped(engine, ANN)  # looking (a mail scanner following links) stops nothing
    refused = person.post(path, {})  # the form without its CSRF token
    assert refused.status == 400 and not stopped(engine, ANN)
    done = person.post(path, {"csrf_token": person.csrf(path)})
    assert done.status == 200 and "Alert emails stopped" in done.body
    assert "a***@example.org" in done.body and "ann.bell" not in done.body
    assert stopped(engine, ANN)
    assert subs.recipients([subs.require_list("DOCKING").id])[0].phone == ANN  # texts go on
    with engine.connect() as conn:
        record = conn.execute(
            select(Consent.action, Consent.method, Consent.by).where(Consent.action == "stop-email")
        ).all()
    assert [tuple(r) for r in record] == [("stop-email", "email", "leave-link")]


def test_a_one_click_post_stops_emails_without_a_token(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    reply = one_click(console, f"/leave/{link_of(engine, ANN)}")
    assert reply.status == 200 and "Alert emails stopped" in reply.body
    assert stopped(engine, ANN)
    assert [e.actor for e in audit.entries(engine, action="email-stopped")] == ["one-click"]


@pytest.mark.parametrize("token", ["forged-token-123", "x" * 200])
def test_a_forged_link_is_not_found_and_changes_nothing(
    console: str, subs: Subscribers, engine: Engine, token: str
) -> None:
    person = Browser(console)
    assert person.get(f"/leave/{token}").status == 404
    assert one_click(console, f"/leave/{token}").status == 404
    assert not stopped(engine, ANN)
    assert audit.entries(engine, action="email-stopped") == []


def test_an_operator_sets_email_and_channel_and_a_viewer_sees_the_address_masked(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    with engine.connect() as conn:
        bob = int(conn.scalar(select(Subscriber.id).where(Subscriber.phone == BOB)) or 0)
    docking = str(subs.require_list("DOCKING").id)
    operator = signed_in(console, "operator1")
    path = f"/subscribers/{bob}"
    form = {"csrf_token": operator.csrf(path), "name": "Bob Hale", "list": docking}
    bad = operator.post(path, {**form, "email": "bob@example.org\r\nBcc: x@example.net"})
    assert bad.status == 400 and "cannot contain a line break" in bad.body
    no_address = operator.post(path, {**form, "email": "", "channel": "email"})
    assert no_address.status == 400 and "channel email needs an email address" in no_address.body
    saved = operator.post(path, {**form, "email": "Bob@Example.org", "channel": "email"})
    assert saved.status == 200 and "Saved: email set; channel email." in saved.body
    assert 'value="bob@example.org"' in saved.body and "<dd>email</dd>" in saved.body
    assert (f"subscriber {bob}: email set; channel email") in [
        e.detail for e in audit.entries(engine, actor="operator1")
    ]
    viewer = signed_in(console, "viewer1")
    shown = viewer.get(path).body
    assert "b***@example.org" in shown and "bob@example.org" not in shown
    assert "Alerts by" in shown
    listing = viewer.get("/subscribers/").body
    assert "by email" in listing
    # An address tells whether someone subscribes: searching by one is for operators.
    tried = viewer.get("/subscribers/?q=bob%40example").body
    assert "0 found" in tried and "Searching by email address is for operators" in tried
    found = operator.get("/subscribers/?q=bob%40example").body
    assert "1 found" in found and BOB in found


def test_adding_a_subscriber_with_an_address_checks_it_first(
    console: str, subs: Subscribers, engine: Engine
) -> None:
    operator = signed_in(console, "operator1")
    token = operator.csrf("/subscribers/new")
    docking = str(subs.require_list("DOCKING").id)
    new = {"csrf_token": token, "phone": mobile(103), "name": "Cy", "list": docking}
    bad = operator.post("/subscribers/new", {**new, "email": "cy@localhost", "channel": "both"})
    assert bad.status == 400 and "the domain needs a dot" in bad.body
    with engine.connect() as conn:
        assert conn.scalar(select(Subscriber.id).where(Subscriber.phone == mobile(103))) is None
    good = operator.post("/subscribers/new", {**new, "email": "cy@example.org", "channel": "both"})
    assert good.status == 200 and "cy@example.org" in good.body
    assert re.search(r"<dt>Alerts by</dt><dd>text and email</dd>", good.body)
    emailed = subs.email_recipients([int(docking)])
    assert [r.email for r in emailed] == ["ann.bell@example.org", "cy@example.org"]
