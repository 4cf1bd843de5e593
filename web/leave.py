"""The way out of alert emails: the link at the foot of each one, and RFC 8058's one-click.

Nobody signs in here: the token in the link (a random one per subscriber, made when their
address was set) is the only key, and it stops emails only; texts go on (their own STOP
is an SMS). A person following the link gets a page that asks first, with a form that
carries a CSRF token like every other. A mail provider's unsubscribe button POSTs
`List-Unsubscribe=One-Click` to the same address with no cookie and no token (RFC 8058),
so that body alone is taken without one: at worst, a forged one stops someone's emails,
which is what the link already lets its holder do. The address is shown masked.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from gateway.subscribers.emails import mask_email
from web import csrf
from web.context import services

bp = Blueprint("leave", __name__, url_prefix="/leave")

MAX_TOKEN = 64  # tokens are 22 characters; anything much longer is not one of ours
ONE_CLICK = "One-Click"


@bp.get("/<token>")
def ask(token: str) -> Any:
    address = _address(token)
    if address is None:
        return render_template("leave.html", unknown=True), 404
    return render_template("leave.html", token=token, shown=mask_email(address))


@bp.post("/<token>")
@csrf.exempt  # RFC 8058's POST comes without a token; the form's is checked below
def stop(token: str) -> Any:
    one_click = request.form.get("List-Unsubscribe") == ONE_CLICK
    if not one_click:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(exc.args[0]) from None
    address = _address(token)
    if address is None:
        return render_template("leave.html", unknown=True), 404
    services().subscribers.stop_email(token, "one-click" if one_click else "leave-link")
    return render_template("leave.html", done=True, shown=mask_email(address))


def _address(token: str) -> str | None:
    if len(token) > MAX_TOKEN:
        abort(404)
    return services().subscribers.email_of(token)
