"""Signing in and out of the console as an attacker would try it, over a real server and a
real database: guesses in parallel, forwarded addresses, copied cookies, names that
answer faster, names that forge log lines."""

from __future__ import annotations

import copy
import ipaddress
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from http.cookiejar import Cookie
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine
from web_client import PASSWORD, Browser, signed_in

from gateway.core import audit, config, users
from gateway.core.login_limit import BURST, REFILL, LoginLimit
from web import create_app, device_cookie
from web.auth import client_address
from web.server import ConsoleServer

NEW_PASSWORD = "another long passphrase"
PROXY = "127.0.0.1"  # the test server's client: a reverse proxy, when trusted
CLIENT = "203.0.113.7"  # TEST-NET-3: an address for documentation


def user_id(engine: Engine, username: str) -> int:
    return next(a.id for a in users.all_users(engine) if a.username == username)


def guess_together(
    base: str, username: str, count: int, cookies: Sequence[Cookie] = ()
) -> list[int]:
    """`count` wrong passwords for `username` at once, each from its own browser (holding
    copies of `cookies`)."""
    browsers = [holding(Browser(base), *cookies) for _ in range(count)]
    tokens = [b.csrf("/login") for b in browsers]
    start = threading.Barrier(count)
    statuses: list[int] = []

    def guess(i: int) -> None:
        start.wait()
        fields = {"username": username, "password": f"guess {i}", "csrf_token": tokens[i]}
        statuses.append(browsers[i].post("/login", fields).status)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return statuses


# -- the rate limit ------------------------------------------------------------------------------
def test_concurrent_guesses_cannot_slip_past_the_limit(console: str, engine: Engine) -> None:
    statuses = guess_together(console, "viewer1", 20)
    assert sorted(statuses) == [401] * BURST + [429] * (20 - BURST)
    checked = [e for e in audit.entries(engine, actor="viewer1") if e.action == "login-failed"]
    assert len(checked) == BURST  # the password was checked 5 times, not 12
    assert Browser(console).login("viewer1").status == 429  # even the right password waits
    assert Browser(console).login("operator1").status == 200  # another name is not locked


def test_the_limit_is_per_user_name_whatever_the_address_says(console: str) -> None:
    statuses = []
    for i in range(BURST + 1):
        browser = Browser(console)
        browser.opener.addheaders = [("X-Forwarded-For", f"203.0.113.{i + 1}")]
        statuses.append(browser.login("VIEWER1 ", f"guess {i}").status)  # case, spaces
    assert statuses == [401] * BURST + [429]


def test_a_bucket_refills_so_the_owner_gets_in_again(engine: Engine) -> None:
    now = [1_000_000.0]
    limit = LoginLimit(engine, clock=lambda: now[0])
    assert all(limit.take("viewer1").allowed for _ in range(BURST))
    refused = limit.take("viewer1")
    assert not refused.allowed and refused.retry_after == pytest.approx(REFILL)
    now[0] += REFILL / 2
    assert limit.take("viewer1").retry_after == pytest.approx(REFILL / 2)
    now[0] += REFILL / 2
    assert limit.take("viewer1").allowed  # one token back: the owner signs in ...
    limit.give_back("viewer1")  # ... and a right password costs nothing
    assert limit.take("viewer1").allowed and not limit.take("viewer1").allowed
    now[0] += BURST * REFILL
    assert all(limit.take("viewer1").allowed for _ in range(BURST))  # full again
    assert limit.take("someone else").allowed


# -- known browsers (device cookies) --------------------------------------------------------------
def device_cookies(browser: Browser) -> list[Cookie]:
    return [c for c in browser.cookies if c.name.startswith(device_cookie.PREFIX)]


def holding(browser: Browser, *cookies: Cookie) -> Browser:
    """`browser` with copies of `cookies` in its jar: copied from another, or forged."""
    for cookie in cookies:
        browser.cookies.set_cookie(copy.copy(cookie))
    return browser


def forged(cookie: Cookie, name: str, value: str | None = None) -> Cookie:
    fake = copy.copy(cookie)
    fake.name, fake.value = name, cookie.value if value is None else value
    return fake


def known_browser(base: str, username: str, password: str = PASSWORD) -> Browser:
    """The owner's browser: it signed in once (and so holds a device cookie), then out."""
    browser = signed_in(base, username, password)
    assert browser.post("/logout", {"csrf_token": browser.csrf("/")}).status == 200
    assert len(device_cookies(browser)) == 1
    return browser


def empty_the_bucket(base: str, username: str) -> None:
    """Wrong passwords from browsers that never signed in, until the name's bucket is empty."""
    statuses = [Browser(base).login(username, f"guess {i}").status for i in range(BURST + 1)]
    assert statuses == [401] * BURST + [429]


def test_an_attacker_emptying_the_name_bucket_leaves_the_known_browser_in(console: str) -> None:
    owner = known_browser(console, "viewer1")
    empty_the_bucket(console, "viewer1")
    assert Browser(console).login("viewer1").status == 429  # a new browser waits
    assert owner.login("viewer1", "a typo").status == 401  # the browser's own tries
    assert owner.login("viewer1").status == 200
    assert Browser(console).login("viewer1").status == 429  # and it opened nothing for others


def test_concurrent_guesses_from_a_known_browser_cannot_slip_past_its_bucket(
    console: str, engine: Engine
) -> None:
    copies = device_cookies(known_browser(console, "viewer1"))  # a stolen device cookie
    statuses = guess_together(console, "viewer1", 12, copies)
    assert sorted(statuses) == [401] * BURST + [429] * (12 - BURST)
    checked = [e for e in audit.entries(engine, actor="viewer1") if e.action == "login-failed"]
    assert len(checked) == BURST
    assert Browser(console).login("viewer1").status == 200  # the name's bucket is untouched


def test_a_forged_or_borrowed_device_cookie_gets_no_bucket_of_its_own(
    console: str, engine: Engine
) -> None:
    owner = known_browser(console, "viewer1")
    [theirs] = device_cookies(known_browser(console, "operator1"))  # the attacker's own login
    victim = user_id(engine, "viewer1")
    as_victims = f"{device_cookie.PREFIX}{victim}"
    wrong_key = URLSafeTimedSerializer("not this console's key " * 2, salt=device_cookie.SALT)
    fakes = [
        theirs,  # another user's device cookie, as issued
        forged(theirs, as_victims),  # ... renamed for the victim
        forged(theirs, as_victims, wrong_key.dumps([victim, "a guessed token"])),
        forged(theirs, as_victims, theirs.value[:-4] + "AAAA"),  # a broken signature
    ]
    empty_the_bucket(console, "viewer1")
    assert [holding(Browser(console), f).login("viewer1").status for f in fakes] == [429] * 4
    assert owner.login("viewer1").status == 200  # the real one still has its own tries


def test_a_device_cookie_stops_working_after_a_password_reset(console: str, engine: Engine) -> None:
    owner = known_browser(console, "viewer1")
    empty_the_bucket(console, "viewer1")
    assert owner.login("viewer1").status == 200  # known before the reset ...
    admin = signed_in(console, "admin1")
    fields = {"password": NEW_PASSWORD, "csrf_token": admin.csrf("/users/")}
    assert admin.post(f"/users/{user_id(engine, 'viewer1')}/password", fields).status == 200
    assert owner.login("viewer1", NEW_PASSWORD).status == 429  # ... a stranger after it


def test_deactivation_forgets_the_users_browsers_for_good(console: str, engine: Engine) -> None:
    owner = known_browser(console, "operator1")
    empty_the_bucket(console, "operator1")
    assert owner.login("operator1").status == 200
    target = user_id(engine, "operator1")
    users.set_active(engine, target, False)
    users.set_active(engine, target, True)
    assert owner.login("operator1").status == 429


@pytest.fixture
def https_console(console: str, engine: Engine, db_url: str) -> Iterator[str]:
    """A console with `web.secure_cookies` on the same database: this client speaks plain
    HTTP, so it goes without CSRF (its Secure session cookie would never come back)."""
    cfg = config.from_dict({"database": {"url": db_url}, "web": {"secure_cookies": True}})
    app = create_app(cfg, engine=engine, test_config={"WTF_CSRF_ENABLED": False})
    server = ConsoleServer(app, "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()


def test_the_device_cookie_goes_only_to_the_login_page_and_never_to_a_script(
    console: str, https_console: str
) -> None:
    over_https = Browser(https_console)
    over_https.post("/login", {"username": "viewer1", "password": PASSWORD})
    for browser, secure in ((signed_in(console, "viewer1"), False), (over_https, True)):
        [cookie] = device_cookies(browser)
        assert cookie.path == "/login" and cookie.secure is secure
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert cookie.get_nonstandard_attr("SameSite") == "Strict"
        assert cookie.expires is not None and cookie.expires > time.time() + 300 * 86400


# -- addresses behind a proxy --------------------------------------------------------------------
def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    trusted = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert client_address("10.0.0.2", f"198.51.100.9, {CLIENT}", trusted) == CLIENT
    assert client_address("10.0.0.2", f"{CLIENT}, 10.0.0.3", trusted) == CLIENT
    assert client_address("10.0.0.2", "", trusted) == "10.0.0.2"
    assert client_address(CLIENT, "198.51.100.9", trusted) == CLIENT  # not a proxy: ignored
    assert client_address("::1", CLIENT, trusted) == CLIENT


@pytest.fixture
def proxied_console(console: str, engine: Engine, db_url: str) -> Iterator[str]:
    """A second console on the same database behind a trusted proxy (the test itself)."""
    cfg = config.from_dict({"database": {"url": db_url}, "web": {"trusted_proxies": [PROXY]}})
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    yield server.url
    server.stop()


def test_the_audit_names_the_client_behind_a_trusted_proxy(
    console: str, proxied_console: str, engine: Engine
) -> None:
    for base in (console, proxied_console):
        browser = Browser(base)
        browser.opener.addheaders = [("X-Forwarded-For", CLIENT)]
        assert browser.login("operator1").status == 200
    logins = [e.detail for e in reversed(audit.entries(engine, action="login"))]
    assert logins == [PROXY, CLIENT]


# -- sessions that end ---------------------------------------------------------------------------
def session_cookie(browser: Browser) -> str:
    [value] = [c.value for c in browser.cookies if c.name == "session"]
    assert value
    return value


def replay(base: str, cookie: str, path: str = "/") -> str:
    """Where a browser holding only this cookie ends up."""
    thief = Browser(base)
    thief.opener.addheaders = [("Cookie", f"session={cookie}")]
    return thief.get(path).url


def test_a_cookie_copied_before_sign_out_is_refused_after(console: str) -> None:
    browser = signed_in(console, "operator1")
    other_desk = signed_in(console, "operator1")
    cookie = session_cookie(browser)
    assert replay(console, cookie) == console + "/"  # a copy works while signed in
    browser.post("/logout", {"csrf_token": browser.csrf("/")})
    assert replay(console, cookie).startswith(console + "/login")
    assert other_desk.get("/").url == console + "/"  # that browser's session only


def test_a_password_reset_ends_the_users_sessions(console: str, engine: Engine) -> None:
    victim = signed_in(console, "viewer1")
    cookie = session_cookie(victim)
    admin = signed_in(console, "admin1")
    target = user_id(engine, "viewer1")
    fields = {"password": NEW_PASSWORD, "csrf_token": admin.csrf("/users/")}
    assert admin.post(f"/users/{target}/password", fields).status == 200
    assert replay(console, cookie).startswith(console + "/login")
    assert victim.get("/").url.startswith(console + "/login")
    assert Browser(console).login("viewer1", NEW_PASSWORD).status == 200


def test_an_admin_setting_their_own_password_stays_signed_in(console: str, engine: Engine) -> None:
    admin = signed_in(console, "admin1")
    before = session_cookie(admin)
    me = user_id(engine, "admin1")
    fields = {"password": NEW_PASSWORD, "csrf_token": admin.csrf("/users/")}
    assert admin.post(f"/users/{me}/password", fields).url == console + "/users/"
    assert admin.get("/users/").status == 200
    assert replay(console, before).startswith(console + "/login")  # the old cookie is dead


def test_deactivation_ends_the_sessions_for_good(console: str, engine: Engine) -> None:
    victim = signed_in(console, "operator1")
    cookie = session_cookie(victim)
    target = user_id(engine, "operator1")
    users.set_active(engine, target, False)
    users.set_active(engine, target, True)
    assert replay(console, cookie).startswith(console + "/login")


# -- unknown names ---------------------------------------------------------------------------------
def test_an_unknown_name_costs_the_same_hash_check_as_a_known_one(
    console: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time an answer takes is the hash check's: an unknown name must run exactly one,
    with the same parameters, and hash nothing new (which doubled its cost before)."""
    checked: list[str] = []
    made: list[str] = []
    real_check, real_make = users.check_password_hash, users.generate_password_hash
    users.authenticate(engine, "nobody", "warm the dummy hash")

    def check(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])  # the method and its cost
        return real_check(stored, password)

    def make(password: str, *args: Any, **kwargs: Any) -> str:
        made.append(password)
        return real_make(password, *args, **kwargs)

    monkeypatch.setattr(users, "check_password_hash", check)
    monkeypatch.setattr(users, "generate_password_hash", make)
    users.set_active(engine, user_id(engine, "operator1"), False)
    for name in ("viewer1", "nobody", "operator1", "Viewer1"):  # known, unknown, inactive
        assert users.authenticate(engine, name, "wrong password") is None
    assert made == [] and len(checked) == 4 and len(set(checked)) == 1, checked
    assert Browser(console).login("someone", "wrong password").status == 401
    assert len(checked) == 5 and made == []


# -- the audit log as text -------------------------------------------------------------------------
def test_a_user_name_with_a_newline_writes_one_log_line(
    console: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "nobody\n2026-12-05 10:00 INFO audit: admin1 login\x1b[2K"  # 64 at most
    with caplog.at_level(logging.INFO, logger="gateway.core.audit"):
        assert Browser(console).login(forged, "wrong password").status == 401
    [line] = [r.getMessage() for r in caplog.records if "login-failed" in r.getMessage()]
    assert "\n" not in line and "\x1b" not in line
    assert "nobody\\n2026-12-05" in line and "\\x1b[2K" in line
    assert [e.actor for e in audit.entries(engine, action="login-failed")] == [forged]
    page = signed_in(console, "admin1").get("/audit?action=login-failed").body
    assert "nobody\\n2026-12-05" in page and "\x1b" not in page


def test_printable_escapes_what_could_end_or_colour_a_line() -> None:
    assert audit.printable("a\nb\r\tc\\d\u2028e\x85f\x1b[31m é") == (
        "a\\nb\\r\\tc\\\\d\\u2028e\\x85f\\x1b[31m é"
    )
