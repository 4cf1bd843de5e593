"""Lists (/lists): member counts, new lists, each list's members as CSV, and its join badge.

The badge is what `smsgw qr` writes, from the same make_badge: the SVG is the printable
A6 badge an officer wears, the PNG the QR code alone for a poster or a web page.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from gateway.core import audit
from gateway.subscribers.badge import BadgeError, make_badge
from gateway.subscribers.service import ListInfo, SubscriberError, Subscribers
from web.auth import role_required
from web.context import config, engine, services
from web.people_csv import download

bp = Blueprint("lists", __name__, url_prefix="/lists")

BADGE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def _subscribers() -> Subscribers:
    return services().subscribers


def _page(error: str = "", form: Any = None) -> str:
    return render_template(
        "lists.html",
        lists=_subscribers().lists(),
        gateway_number=config().gateway.number,
        error=error,
        form=form or {},
    )


@bp.route("/")
@login_required
def index() -> Any:
    return _page()


@bp.post("/")
@role_required("operator")
def add() -> Any:
    try:
        made = _subscribers().add_list(
            request.form.get("name", ""),
            request.form.get("keyword", ""),
            request.form.get("description", "").strip()[:500],
        )
    except SubscriberError as exc:
        return _page(str(exc), request.form), 400
    audit.record(engine(), current_user.username, "list-added", f"{made.name} ({made.keyword})")
    flash(f"List {made.name} added: people join by texting JOIN {made.keyword}.")
    return redirect(url_for(".index"))


@bp.route("/<int:list_id>/badge.<kind>")
@login_required
def badge(list_id: int, kind: str) -> Any:
    if kind not in BADGE_TYPES:
        abort(404)
    found = find(list_id)
    gateway = config().gateway
    if not gateway.number:
        abort(409, description="Set gateway.number (the gateway's own number) for badges.")
    with tempfile.TemporaryDirectory(prefix="smsgw-badge-") as tmp:
        out = Path(tmp) / f"badge-{found.keyword.lower()}.{kind}"
        try:
            make_badge(gateway.number, found.keyword, found.name, out, region=gateway.country)
        except BadgeError as exc:
            abort(409, description=str(exc))
        data = out.read_bytes()
    return send_file(
        io.BytesIO(data), mimetype=BADGE_TYPES[kind], as_attachment=True, download_name=out.name
    )


@bp.route("/<int:list_id>/members.csv")
@role_required("operator")
def members(list_id: int) -> Any:
    found = find(list_id)
    return download(found.id, f"subscribers-{found.keyword.lower()}.csv")


def find(list_id: int) -> ListInfo:
    found = next((x for x in _subscribers().lists() if x.id == list_id), None)
    if found is None:
        abort(404)
    return found
