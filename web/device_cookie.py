"""Device cookies (OWASP's defence against locking users out): a browser that signed in
as a user carries a cookie naming that user and a random token, and its attempts at that
user draw from a login bucket of its own (gateway/core/login_limit.py).

One cookie per user, `smsgw_device_<user id>`: a control-room PC is shared by a shift,
and each of them keeps their own. Signed with the app's secret key, so a cookie the app
did not make is ignored before the database is asked; the database keeps only the token's
hash and forgets it with the user's sessions. It goes only to /login, never to a script
(HttpOnly), never from another site (SameSite=Strict), and only over HTTPS with
`web.secure_cookies`.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from gateway.core.login_limit import DEVICE_LIFETIME

PREFIX = "smsgw_device_"
SALT = "smsgw-device-cookie"  # a session cookie's signature is no device cookie's
MAX_AGE = int(DEVICE_LIFETIME.total_seconds())


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def presented() -> dict[int, str]:
    """The device tokens this browser holds, by user id: only cookies this app signed,
    under the name of the user they name, and younger than DEVICE_LIFETIME."""
    found: dict[int, str] = {}
    for name, value in request.cookies.items():
        user = name.removeprefix(PREFIX)
        if user == name or not user.isdigit():
            continue
        try:
            user_id, token = _signer().loads(value, max_age=MAX_AGE)
        except BadData:
            continue
        if user_id == int(user):
            found[user_id] = token
    return found


def remember(response: Response, user_id: int, token: str) -> None:
    """Give the browser (again) its device cookie for this user, for another year."""
    response.set_cookie(
        f"{PREFIX}{user_id}",
        _signer().dumps([user_id, token]),
        max_age=MAX_AGE,
        path=url_for("auth.login"),
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Strict",
    )
