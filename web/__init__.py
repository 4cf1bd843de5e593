"""The control-room console: a Flask app that reads and changes state only through
gateway's services, never a modem."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine

from gateway.app.services import Services
from gateway.core import users
from gateway.core.config import Config
from gateway.core.db import make_engine

csrf = CSRFProtect()


def create_app(
    config: Config,
    *,
    engine: Engine | None = None,
    test_config: dict[str, Any] | None = None,
    services: Services | None = None,
) -> Flask:
    app = Flask(__name__)
    engine = engine or make_engine(config.database.url)
    app.config.update(
        SECRET_KEY=config.web.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=users.SESSION_LIFETIME,  # the cookie's and the record's
        WTF_CSRF_TIME_LIMIT=None,  # a night shift keeps one page open for hours
        SMSGW_CONFIG=config,
        SMSGW_ENGINE=engine,
    )
    # The gateway's services, one set for every request (web.context.services()); in
    # `smsgw run` the daemon's own, so a message queued here wakes its workers at once.
    app.extensions["smsgw"] = services or Services(config, engine)
    if test_config:
        app.config.update(test_config)
    csrf.init_app(app)

    from web import (
        accounts,
        alerts,
        api,
        api_cap,  # noqa: F401  (routes on api.bp)
        api_messages,  # noqa: F401  (routes on api.bp)
        auth,
        context,
        dashboard,
        hooks,
        leave,
        metrics,
        patrols,
        people,
        people_lists,
        reports,
        rota,
        sightings,
    )
    from web import (
        map as map_page,
    )

    auth.init_app(app)
    # Every template shows a number through these: the one rule of who sees it whole.
    app.jinja_env.globals.update(shown_number=context.shown_number, shown_text=context.shown_text)
    csrf.exempt(api.bp)  # token-authenticated, no cookies: CSRF cannot reach it
    for blueprint in (
        auth.bp,
        dashboard.bp,
        alerts.bp,
        sightings.bp,
        map_page.bp,
        people.bp,
        people_lists.bp,
        rota.bp,
        patrols.bp,
        reports.bp,
        accounts.bp,
        api.bp,
        hooks.bp,  # Twilio's callbacks: signed, so no login and no CSRF token
        metrics.bp,  # Prometheus: a token, or from loopback
        leave.bp,  # the leave link in alert emails: no login; RFC 8058's POST, no token
    ):
        app.register_blueprint(blueprint)

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"
        )
        return response

    return app
