"""Console users and their roles (admins only). Every change is audited; a password or
API token never is, and a new token is shown once (only its hash is kept)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from gateway.core import audit, users
from web.auth import renew_session, role_required
from web.context import engine

bp = Blueprint("accounts", __name__, url_prefix="/users")

MAX_USERNAME = 64  # the column's width and the login form's limit
MAX_PASSWORD = 256  # the login form refuses longer, so such a password could never sign in


def _page(error: str = "", form: Any = None) -> str:
    return render_template(
        "users.html",
        accounts=users.all_users(engine()),
        roles=users.ROLES,
        min_password=users.MIN_PASSWORD,
        max_password=MAX_PASSWORD,
        error=error,
        form=form or {},
    )


def _password(field: str = "password") -> str:
    password = request.form.get(field, "")
    if len(password) > MAX_PASSWORD:
        raise users.UserError(f"a password has at most {MAX_PASSWORD} characters")
    return password


def _account(user_id: int) -> users.Account:
    account = users.get(engine(), user_id)
    if account is None:
        abort(404)
    return account


@bp.route("/")
@role_required("admin")
def index() -> Any:
    return _page()


@bp.post("/")
@role_required("admin")
def add() -> Any:
    username = request.form.get("username", "").strip()
    try:
        if len(username) > MAX_USERNAME:
            raise users.UserError(f"a username has at most {MAX_USERNAME} characters")
        made = users.add(engine(), username, _password(), request.form.get("role", ""))
    except users.UserError as exc:
        return _page(str(exc), request.form), 400
    audit.record(engine(), current_user.username, "user-added", f"{made.username} as {made.role}")
    flash(f"User {made.username} added as {made.role}.")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/role")
@role_required("admin")
def role(user_id: int) -> Any:
    before = _account(user_id)
    try:
        after = users.set_role(engine(), user_id, request.form.get("role", ""))
    except users.UserError as exc:
        return _page(str(exc)), 400
    if after.role != before.role:
        detail = f"{after.username}: {before.role} -> {after.role}"
        audit.record(engine(), current_user.username, "role-changed", detail)
        flash(f"{after.username} is now {after.role}.")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/active")
@role_required("admin")
def active(user_id: int) -> Any:
    before = _account(user_id)
    wanted = request.form.get("active") == "yes"
    try:
        after = users.set_active(engine(), user_id, wanted)
    except users.UserError as exc:
        return _page(str(exc)), 400
    if after.active != before.active:
        action = "user-reactivated" if wanted else "user-deactivated"
        audit.record(engine(), current_user.username, action, after.username)
        flash(f"{after.username} {'can sign in again' if wanted else 'is deactivated'}.")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/password")
@role_required("admin")
def password(user_id: int) -> Any:
    account = _account(user_id)
    try:
        changed = users.set_password(engine(), user_id, _password())  # ends their sessions
    except users.UserError as exc:
        return _page(f"{account.username}: {exc}"), 400
    if changed.id == current_user.account.id:
        renew_session(changed)  # an admin setting their own password stays signed in
    audit.record(engine(), current_user.username, "password-set", account.username)
    flash(f"New password set for {account.username}.")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/token")
@role_required("admin")
def token(user_id: int) -> Any:
    account = _account(user_id)
    secret = users.new_api_token(engine(), user_id)
    audit.record(engine(), current_user.username, "api-token-created", account.username)
    page = render_template("user_token.html", account=account, token=secret)
    return page, 200, {"Cache-Control": "no-store"}
