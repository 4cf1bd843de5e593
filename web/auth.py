"""Logins, roles and the login rate limit."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
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

from gateway import audit, users
from web.context import engine

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"

MAX_FAILURES = 5  # per address and user name ...
FAILURE_WINDOW = 300.0  # ... in this many seconds


class ConsoleUser(UserMixin):
    def __init__(self, account: users.Account) -> None:
        self.account = account
        self.id = str(account.id)

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


class _Throttle:
    """Failed logins per (address, user name) in a sliding window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, key: tuple[str, str]) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._failures[key]
            while q and q[0] < now - FAILURE_WINDOW:
                q.popleft()
            return len(q) >= MAX_FAILURES

    def fail(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures[key].append(time.monotonic())

    def clear(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.extensions["smsgw_login_throttle"] = _Throttle()


def _throttle() -> _Throttle:
    return cast(_Throttle, current_app.extensions["smsgw_login_throttle"])


@login_manager.user_loader
def _load(user_id: str) -> ConsoleUser | None:
    account = users.get(engine(), int(user_id))
    return ConsoleUser(account) if account and account.active else None


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
        key = (request.remote_addr or "", form.username.data.lower())
        throttle = _throttle()
        if throttle.blocked(key):
            audit.record(engine(), form.username.data, "login-throttled", request.remote_addr or "")
            return render_template(
                "login.html", form=form, error="Too many attempts. Wait five minutes."
            ), 429
        account = users.authenticate(engine(), form.username.data, form.password.data)
        if account is None:
            throttle.fail(key)
            audit.record(engine(), form.username.data, "login-failed", request.remote_addr or "")
            return render_template(
                "login.html", form=form, error="Wrong user name or password."
            ), 401
        throttle.clear(key)
        login_user(ConsoleUser(account))
        audit.record(engine(), account.username, "login", request.remote_addr or "")
        return redirect(url_for("dashboard.index"))
    return render_template("login.html", form=form, error=None)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    audit.record(engine(), current_user.username, "logout")
    logout_user()
    flash("Signed out.")
    return redirect(url_for("auth.login"))
