"""The console over a real HTTP server (waitress on a loopback port) and a real SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from web_client import PASSWORD, Browser

from gateway.core import audit
from gateway.core.config import InboundConfig
from gateway.core.db import utcnow
from gateway.inbox.store import Inbox, IncomingPart


def test_every_page_but_login_needs_a_login(console: str) -> None:
    for path in ("/", "/inbox", "/audit"):
        reply = Browser(console).get(path)
        assert reply.url.startswith(console + "/login"), path


def test_a_login_without_a_csrf_token_is_refused(console: str) -> None:
    reply = Browser(console).post("/login", {"username": "admin1", "password": PASSWORD})
    assert reply.status == 400


def test_a_user_signs_in_and_sees_the_dashboard(console: str) -> None:
    browser = Browser(console)
    reply = browser.login("operator1")
    assert reply.status == 200 and reply.url == console + "/"
    assert "Dashboard" in reply.body and "operator1 (operator)" in reply.body


def test_a_wrong_password_is_refused_and_audited(console: str, engine: Engine) -> None:
    reply = Browser(console).login("admin1", "not the password")
    assert reply.status == 401 and "Wrong user name or password" in reply.body
    assert [e.action for e in audit.entries(engine, actor="admin1")] == ["login-failed"]


def test_repeated_failures_are_throttled(console: str) -> None:
    browser = Browser(console)
    statuses = [browser.login("viewer1", f"guess {i}").status for i in range(6)]
    assert statuses == [401] * 5 + [429]
    assert browser.login("viewer1").status == 429  # even the right password waits


def test_hostile_text_in_an_sms_shows_as_text(console: str, engine: Engine) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    Inbox(engine, InboundConfig()).store("m1", IncomingPart("+447700900501", utcnow(), hostile))
    browser = Browser(console)
    browser.login("viewer1")
    for path in ("/", "/inbox"):
        body = browser.get(path).body
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body


def test_only_admins_read_the_audit_log(console: str) -> None:
    viewer = Browser(console)
    viewer.login("viewer1")
    assert viewer.get("/audit").status == 403
    admin = Browser(console)
    admin.login("admin1")
    page = admin.get("/audit?actor=viewer1")
    assert page.status == 200 and "viewer1" in page.body and "login" in page.body


def test_the_audit_log_cannot_be_rewritten(engine: Engine) -> None:
    audit.record(engine, "admin1", "alert-sent", "ref A1")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.actor for e in audit.entries(engine)] == ["admin1"]


def test_sign_out_needs_the_csrf_token(console: str) -> None:
    browser = Browser(console)
    browser.login("admin1")
    assert browser.post("/logout", {}).status == 400
    token = browser.csrf("/")
    reply = browser.post("/logout", {"csrf_token": token})
    assert reply.url.startswith(console + "/login")
    assert browser.get("/").url.startswith(console + "/login")


def test_passwords_are_stored_hashed(engine: Engine, console: str) -> None:
    with engine.connect() as conn:
        stored = conn.execute(text("select password_hash from users")).scalars().all()
    assert stored and all(PASSWORD not in h and h.startswith("scrypt:") for h in stored)
