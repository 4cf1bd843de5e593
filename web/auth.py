"""Logins, roles, sessions that end, and the login rate limit (gateway/core/login_limit.py).

A session cookie names the user and a session token whose hash the database keeps until
the session ends: at sign-out (that session), a new password or deactivation (all the
user's). Flask keeps the whole session in the cookie, so only the server can make a
copied cookie stop working. A browser that signed in keeps a device cookie
(web/device_cookie.py) that gives it login tries of its own.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from gateway.core import audit, users
from gateway.core.login_limit import LoginLimit
from web import device_cookie
from web.context import engine

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConsoleUser(UserMixin):
    def __init__(self, account: users.Account, session_token: str) -> None:
        self.account = account
        self.session_token = session_token
        self.id = f"{account.id}:{session_token}"  # what the cookie holds

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role

    def can(self, need: str) -> bool:
        return self.account.can(need)


class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.extensions["smsgw_login_limit"] = LoginLimit(app.config["SMSGW_ENGINE"])
    proxies = app.config["SMSGW_CONFIG"].web.trusted_proxies
    app.extensions["smsgw_trusted_proxies"] = tuple(
        ipaddress.ip_network(p, strict=False) for p in proxies
    )


def _limit() -> LoginLimit:
    return cast(LoginLimit, current_app.extensions["smsgw_login_limit"])


@login_manager.user_loader
def _load(session_id: str) -> ConsoleUser | None:
    """The user a session cookie names, while that session lasts."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None  # a cookie from before session records: sign in again
    account = users.session_account(engine(), int(user_id), token)
    return ConsoleUser(account, token) if account else None


def client_address(remote: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """Who is asking: the remote address, or behind a trusted proxy the nearest address
    in X-Forwarded-For that is not a trusted proxy (each proxy appends whom it heard; an
    entry further left could be anything the client wrote)."""
    if not _trusted(remote, trusted):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else remote


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _address() -> str:
    trusted = current_app.extensions["smsgw_trusted_proxies"]
    forwarded = request.headers.get("X-Forwarded-For", "")
    return client_address(request.remote_addr or "", forwarded, trusted)


F = TypeVar("F", bound=Callable[..., Any])


def role_required(need: str) -> Callable[[F], F]:
    """Views for operators or admins only; a viewer gets 403."""

    def wrap(view: F) -> F:
        @wraps(view)
        @login_required
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(need):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, inner)

    return wrap


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        name, address = form.username.data, _address()
        # Before the password is checked, so guesses queue; from the bucket of the name,
        # or of this browser when it signed in as that user before.
        taken = _limit().take(name, device_cookie.presented())
        if not taken.allowed:
            audit.record(engine(), name, "login-throttled", address)
            wait = max(1, math.ceil(taken.retry_after))
            error = f"Too many attempts for this user name. Try again in {wait} seconds."
            page = render_template("login.html", form=form, error=error)
            return page, 429, {"Retry-After": str(wait)}
        account = users.authenticate(engine(), name, form.password.data)
        if account is None:
            audit.record(engine(), name, "login-failed", address)
            return render_template(
                "login.html", form=form, error="Wrong user name or password."
            ), 401
        _limit().give_back(name, taken.device)
        login_user(ConsoleUser(account, users.start_session(engine(), account.id)))
        audit.record(engine(), account.username, "login", address)
        response = redirect(url_for("dashboard.index"))
        device = taken.device or _limit().trust(account.id)  # a known browser from now on
        device_cookie.remember(response, account.id, device)
        return response
    return render_template("login.html", form=form, error=None)


def renew_session(account: users.Account) -> None:
    """Keep the current user signed in here after their sessions ended (an admin who set
    their own password): a new session for this browser only."""
    if account.active:
        login_user(ConsoleUser(account, users.start_session(engine(), account.id)))


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    audit.record(engine(), current_user.username, "logout", _address())
    users.end_session(engine(), current_user.session_token)  # a copied cookie dies too
    logout_user()
    flash("Signed out.")
    return redirect(url_for("auth.login"))
