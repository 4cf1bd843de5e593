"""Sightings: the list with its filters, the detail, acknowledge, close, relay to lists."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from gateway.alerts.service import AlertError
from gateway.app.reports import Period
from gateway.routing.officers import relay_text
from gateway.routing.relay import relay as relay_sighting
from gateway.sightings import history as sighting_history
from gateway.sightings import queries as sighting_queries
from gateway.sightings.desk import STATUSES, SightingInfo
from gateway.subscribers.service import SubscriberError
from web.auth import role_required
from web.context import engine, services
from web.sighting_view import (
    ESCALATION,
    desk,
    highlight,
    history_rows,
    number,
    parsed_rows,
    sender,
    when,
    zone,
)

bp = Blueprint("sightings", __name__, url_prefix="/sightings")

PAGE = 100  # rows per "show more"
MOST = 1000  # a longer list is a job for the CSV export
REF = re.compile(r"S\d{1,12}", re.IGNORECASE)


class FilterError(ValueError):
    """A filter in the query string that cannot be understood; the text says which."""


def _day(field: str) -> date | None:
    text = request.args.get(field, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{field}: give a date as YYYY-MM-DD, not {text!r}") from None


def _filters() -> dict[str, Any]:
    """The search's keyword arguments from the query string; the dates are local days."""
    status = request.args.get("status", "").strip()
    if status and status not in STATUSES:
        raise FilterError(f"status: one of {', '.join(STATUSES)}")
    first, last = _day("from"), _day("to")
    if first and last and last < first:
        raise FilterError("the date range ends before it starts")
    local = zone()
    return {
        "status": status or None,
        "registration": request.args.get("registration", "").strip()[:20] or None,
        "since": Period(first, first, local).start if first else None,
        "until": Period(last, last, local).end if last else None,
    }


def view_rows(found: list[SightingInfo]) -> list[dict[str, Any]]:
    """What a table row shows, with the sender as this reader may see them."""
    return [
        {"info": s, "pieces": highlight(s), "sender": sender(s), "when": when(s.created_at)}
        for s in found
    ]


@bp.route("/")
@login_required
def index() -> Any:
    limit = min(MOST, max(PAGE, request.args.get("limit", PAGE, type=int) or PAGE))
    args = {k: request.args.get(k, "") for k in ("status", "registration", "from", "to")}
    try:
        found = desk().search(**_filters(), limit=limit)
        error = ""
    except FilterError as exc:
        found, error = [], str(exc)
    more = ""
    if len(found) == limit < MOST:
        query: dict[str, Any] = {k: v for k, v in args.items() if v}
        more = url_for(".index", **query, limit=limit + PAGE)
    return render_template(
        "sightings.html",
        rows=view_rows(found),
        args=args,
        statuses=STATUSES,
        error=error,
        more=more,
    ), (400 if error else 200)


def _require(ref: str) -> SightingInfo:
    info = desk().get(ref) if REF.fullmatch(ref) else None
    if info is None:
        abort(404)
    return info


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    return _detail(_require(ref))


def _detail(info: SightingInfo, relay_error: str = "", relay: dict[str, Any] | None = None) -> Any:
    eng = engine()
    lists = services().subscribers.lists() if current_user.can("operator") else []
    return render_template(
        "sighting.html",
        s=info,
        when=when,
        number=number(info.sender),
        parsed=parsed_rows(info),
        escalation=ESCALATION,
        handling=sighting_queries.handling(eng, info.ref),
        history=history_rows(sighting_history.timeline(eng, info)),
        linked=view_rows(desk().linked(info.ref)),
        lists=lists,
        relay=relay or {"text": relay_text(info), "lists": []},
        relay_error=relay_error,
    ), (400 if relay_error else 200)


def _back(info: SightingInfo) -> Any:
    """Back where the button was pressed: the dashboard's buttons say so."""
    if request.form.get("back") == "dashboard":
        return redirect(url_for("dashboard.index"))
    return redirect(url_for(".detail", ref=info.ref))


@bp.route("/<ref>/acknowledge", methods=["POST"])
@role_required("operator")
def acknowledge(ref: str) -> Any:
    info = _require(ref)
    if desk().acknowledge_by_user(info.ref, current_user.username):
        flash(f"{info.ref} acknowledged: escalation stopped.")
    else:
        flash(f"{info.ref} was not open: nothing to acknowledge.")
    return _back(info)


@bp.route("/<ref>/close", methods=["POST"])
@role_required("operator")
def close(ref: str) -> Any:
    info = _require(ref)
    if desk().close(info.ref, by=current_user.username):
        flash(f"{info.ref} closed.")
    else:
        flash(f"{info.ref} was already closed.")
    return _back(info)


@bp.route("/<ref>/relay", methods=["POST"])
@role_required("operator")
def relay(ref: str) -> Any:
    """Turn the report into an alert, as RELAY by SMS does; the text offered never names
    the reporter, and the operator sees it before it goes."""
    info = _require(ref)
    chosen = request.form.getlist("lists")
    text = request.form.get("text", "")
    try:  # the alert, the report taken and the audit entry: one transaction
        made = relay_sighting(
            services().alerts, desk(), info, text, chosen, by=current_user.username
        )
    except (AlertError, SubscriberError) as exc:
        return _detail(info, str(exc), {"text": text, "lists": chosen})
    flash(f"{info.ref} relayed as {made.ref} to {made.recipients} people.")
    return redirect(url_for(".detail", ref=info.ref))
