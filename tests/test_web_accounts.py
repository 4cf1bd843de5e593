"""The users page: admins only, every change audited, over a real HTTP server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from web_client import Browser, signed_in

from gateway.core import audit, users

NEW_PASSWORD = "another long passphrase"


def user_id(engine: Engine, username: str) -> int:
    return next(a.id for a in users.all_users(engine) if a.username == username)


def actions(engine: Engine) -> list[tuple[str, str]]:
    return [(e.action, e.detail) for e in reversed(audit.entries(engine, actor="admin1"))]


@pytest.mark.parametrize("username", ["operator1", "viewer1"])
def test_only_admins_reach_the_users_page(console: str, engine: Engine, username: str) -> None:
    browser = signed_in(console, username)
    assert browser.get("/users/").status == 403
    token = browser.csrf("/")
    target = user_id(engine, "viewer1")
    for path, fields in (
        ("/users/", {"username": "intruder", "password": NEW_PASSWORD, "role": "admin"}),
        (f"/users/{target}/role", {"role": "admin"}),
        (f"/users/{target}/active", {"active": "no"}),
        (f"/users/{target}/password", {"password": NEW_PASSWORD}),
        (f"/users/{target}/token", {}),
    ):
        assert browser.post(path, fields | {"csrf_token": token}).status == 403, path
    assert [a.username for a in users.all_users(engine)] == ["admin1", "operator1", "viewer1"]
    assert users.get(engine, target) == users.Account(target, "viewer1", "viewer", True)


def test_an_admin_adds_a_user_who_signs_in_with_that_role(console: str, engine: Engine) -> None:
    admin = signed_in(console, "admin1")
    page = admin.get("/users/")
    assert page.status == 200 and all(u in page.body for u in ("operator1", "viewer1"))
    token = admin.csrf("/users/")
    fields = {"csrf_token": token, "username": "pc.jones", "role": "operator"}
    short = admin.post("/users/", fields | {"password": "too short"})
    assert short.status == 400 and "at least 10 characters" in short.body
    made = admin.post("/users/", fields | {"password": NEW_PASSWORD})
    assert made.status == 200 and "User pc.jones added as operator" in made.body
    again = admin.post("/users/", fields | {"password": NEW_PASSWORD})
    assert again.status == 400 and "exists already" in again.body
    home = Browser(console)
    assert "pc.jones (operator)" in home.login("pc.jones", NEW_PASSWORD).body
    assert home.get("/subscribers/new").status == 200  # operators manage subscribers
    assert home.get("/users/").status == 403
    assert ("user-added", "pc.jones as operator") in actions(engine)


def test_a_role_change_takes_effect_at_once(console: str, engine: Engine) -> None:
    viewer = signed_in(console, "viewer1")
    assert viewer.get("/subscribers/new").status == 403
    admin = signed_in(console, "admin1")
    token = admin.csrf("/users/")
    target = user_id(engine, "viewer1")
    reply = admin.post(f"/users/{target}/role", {"csrf_token": token, "role": "operator"})
    assert reply.status == 200 and "viewer1 is now operator" in reply.body
    assert viewer.get("/subscribers/new").status == 200
    bad = admin.post(f"/users/{target}/role", {"csrf_token": token, "role": "superuser"})
    assert bad.status == 400 and "role must be one of" in bad.body
    assert ("role-changed", "viewer1: viewer -> operator") in actions(engine)


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(console: str, engine: Engine) -> None:
    operator = signed_in(console, "operator1")
    admin = signed_in(console, "admin1")
    token = admin.csrf("/users/")
    target = user_id(engine, "operator1")
    admin.post(f"/users/{target}/active", {"csrf_token": token, "active": "no"})
    assert operator.get("/subscribers/").url.startswith(console + "/login")
    assert Browser(console).login("operator1").status == 401
    admin.post(f"/users/{target}/active", {"csrf_token": token, "active": "yes"})
    assert Browser(console).login("operator1").status == 200
    assert [a for a, _ in actions(engine)][-2:] == ["user-deactivated", "user-reactivated"]


def test_the_last_admin_cannot_lock_everyone_out(console: str, engine: Engine) -> None:
    admin = signed_in(console, "admin1")
    token = admin.csrf("/users/")
    me = user_id(engine, "admin1")
    demoted = admin.post(f"/users/{me}/role", {"csrf_token": token, "role": "viewer"})
    assert demoted.status == 400 and "no active admin" in demoted.body
    gone = admin.post(f"/users/{me}/active", {"csrf_token": token, "active": "no"})
    assert gone.status == 400 and "no active admin" in gone.body
    assert users.get(engine, me) == users.Account(me, "admin1", "admin", True)
    assert admin.get("/users/").status == 200


def test_an_admin_sets_a_new_password(console: str, engine: Engine) -> None:
    admin = signed_in(console, "admin1")
    token = admin.csrf("/users/")
    target = user_id(engine, "viewer1")
    reply = admin.post(f"/users/{target}/password", {"csrf_token": token, "password": NEW_PASSWORD})
    assert reply.status == 200 and "New password set for viewer1" in reply.body
    assert Browser(console).login("viewer1").status == 401
    assert Browser(console).login("viewer1", NEW_PASSWORD).status == 200
    assert ("password-set", "viewer1") in actions(engine)
    assert not any(NEW_PASSWORD in detail for _, detail in actions(engine))


def test_an_api_token_is_shown_once_and_identifies_its_user(console: str, engine: Engine) -> None:
    admin = signed_in(console, "admin1")
    token = admin.csrf("/users/")
    target = user_id(engine, "operator1")
    reply = admin.post(f"/users/{target}/token", {"csrf_token": token})
    found = re.search(r'<code class="token">([A-Za-z0-9_-]{40,})</code>', reply.body)
    assert reply.status == 200 and found
    account = users.by_api_token(engine, found.group(1))
    assert account is not None and account.username == "operator1"
    assert found.group(1) not in admin.get("/users/").body
    assert ("api-token-created", "operator1") in actions(engine)
    assert not any(found.group(1) in detail for _, detail in actions(engine))
