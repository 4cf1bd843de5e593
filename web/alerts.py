"""Alerts: compose with a live preview and a confirmation, the list, the detail with live
progress, cancel and resend.

Everything goes through `gateway.alerts.service.Alerts` and `gateway.alerts.preview`, the code the
CLI uses, so an alert sent here costs and reaches what the preview said. The form may be
opened with a place (`?near=TF 783 385&radius_km=5`): a sighting's page offers that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from gateway.alerts.compose import Composed
from gateway.alerts.near import Near
from gateway.alerts.preview import AlertPreview, preview_alert
from gateway.alerts.service import AlertError, AlertInfo, Alerts, phase
from gateway.alerts.templates import Templates
from gateway.core import clock
from gateway.core.errors import GatewayError
from gateway.core.geo import places
from web.alert_draft import Draft, preview_data
from web.alert_near import NEAR_KM, near_ref
from web.auth import role_required
from web.channel_view import beyond_sims, progress_rows
from web.context import config, engine, services, shown_number

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

LIVE = ("scheduled", "sending")  # phases an operator can still cancel
SHOWN = 100  # alerts on the list page
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


@bp.app_context_processor
def _near_offer() -> dict[str, Any]:
    """For a sighting's page (templates/_alert_near.html): alert the farms near it."""
    return {"alert_near_ref": near_ref, "alert_near_km": NEAR_KM}


def _alerts() -> Alerts:
    return services().alerts


def _zone() -> ZoneInfo:
    return ZoneInfo(config().gateway.timezone)


def _when(moment: datetime | None, style: str = "%a %d %b %H:%M") -> str:
    """A naive UTC time from the database on the control room's clock."""
    return clock.to_local(moment, _zone()).strftime(style) if moment else ""


def _require(ref: str) -> AlertInfo:
    found = _alerts().get(ref)
    if found is None:
        abort(404)
    return found


def _list_names() -> dict[int, str]:
    return {x.id: x.name for x in services().subscribers.lists()}


def _where(draft: Draft) -> Near | None:
    wanted = draft.near or draft.radius_km or draft.include_unplaced
    return draft.where(places(config())) if wanted else None


def _composed(draft: Draft, *, when: bool = True) -> Composed:
    return draft.compose(Templates(engine()), config().gateway.timezone, when=when)


def _preview(draft: Draft, composed: Composed | None = None) -> AlertPreview:
    cfg, eng = config(), engine()
    composed = composed or _composed(draft, when=False)
    return preview_alert(
        eng,
        services().subscribers,
        composed.text,
        draft.lists,
        footer=composed.footer,
        smart=draft.smart,
        settings=cfg.modems,
        reach=services().alerts.reach,
        near=_where(draft),
    )


def _compose(draft: Draft, *, show_preview: bool = False, error: str = "") -> Any:
    """The compose form, with the preview the server worked out when asked for it."""
    templates = Templates(engine())
    shown = None
    try:
        chosen = draft.chosen(templates)
        if show_preview and not error:
            shown = preview_data(_preview(draft), _zone())
    except GatewayError as exc:
        chosen, error = None, str(exc)
    page = render_template(
        "alert_compose.html",
        draft=draft,
        lists=services().subscribers.lists(),
        templates=templates.all(),
        chosen=chosen,
        preview=shown,
        error=error,
        zone=config().gateway.timezone,
        earliest=datetime.now(_zone()).strftime(LOCAL_INPUT),
    )
    return page, (400 if error else 200)


@bp.route("/")
@login_required
def index() -> Any:
    names = _list_names()
    recent = _alerts().recent_with_progress(SHOWN)
    by_channel = _alerts().by_channel([a.id for a, _ in recent])
    rows = [
        {
            "info": a,
            "phase": phase(a, p),
            "progress": p,
            "lists": [names.get(i, f"list {i}") for i in a.list_ids],
            "when": _when(a.send_at or a.created_at),
            "channels": progress_rows(by_channel[a.id]) if beyond_sims(by_channel[a.id]) else [],
        }
        for a, p in recent
    ]
    return render_template(
        "alerts.html", rows=rows, channels_shown=any(r["channels"] for r in rows)
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("operator")
def new() -> Any:
    """GET: an empty form, or one with a place (?near=TF 783 385&radius_km=5). POST:
    "template" re-draws the form with the template's fields, "preview" adds the preview,
    "confirm" moves on to the confirmation page."""
    if request.method == "GET":
        place, km = (request.args.get(k, "").strip() for k in ("near", "radius_km"))
        return _compose(Draft(near=place, radius_km=km))
    draft = Draft.from_form(request.form)
    action = request.form.get("action", "")
    if action != "confirm":
        return _compose(draft, show_preview=action == "preview")
    try:
        composed = _composed(draft)
        if not draft.lists:
            raise AlertError("choose at least one list")
        shown = preview_data(_preview(draft, composed), _zone())
        if not shown["text"]:
            raise AlertError("an alert needs a text")
        if not shown["recipients"]:
            near = _where(draft)
            where = f" {near.describe()}" if near else ""
            raise AlertError(f"nobody on the chosen lists{where} can receive it")
    except GatewayError as exc:
        return _compose(draft, error=str(exc))
    names = {x.keyword: x.name for x in services().subscribers.lists()}
    return render_template(
        "alert_confirm.html",
        draft=draft,
        preview=shown,
        lists=[names.get(k, k) for k in draft.lists],
        send_at=_when(composed.send_at, "%a %d %b %Y %H:%M") if composed.send_at else "",
    )


@bp.route("/preview", methods=["POST"])
@role_required("operator")
def preview() -> Any:
    """The live preview for compose.js: the same numbers as the Preview button. A draft
    not yet complete (a field still empty) is the normal state while typing, so it is
    answered with 200 and the reason in `error`, not as a failed request."""
    try:
        return jsonify(preview_data(_preview(Draft.from_form(request.form)), _zone()))
    except GatewayError as exc:
        return jsonify(error=str(exc))


@bp.route("/send", methods=["POST"])
@role_required("operator")
def send() -> Any:
    """Create the alert as confirmed; Alerts.create records it in the audit log."""
    draft = Draft.from_form(request.form)
    try:
        composed = _composed(draft)
        near = _where(draft)
        made = _alerts().create(
            composed.text,
            draft.lists,
            by=current_user.username,
            send_at=composed.send_at,
            footer=composed.footer,
            smart=draft.smart,
            near=near.centre if near else None,
            radius_km=near.radius_km if near else None,
            include_unplaced=near.include_unplaced if near else False,
            near_text=near.text if near else "",
        )
    except GatewayError as exc:
        return _compose(draft, error=str(exc))
    if made.status == "scheduled":
        flash(f"{made.ref} scheduled for {_when(made.send_at)}.")
    else:
        flash(f"{made.ref} is going to {made.recipients:,} recipients.")
    return redirect(url_for(".detail", ref=made.ref))


def _progress(info: AlertInfo) -> dict[str, Any]:
    """The alert's progress for its page and /progress: the counts by state, and by
    channel when it used more than the SIMs (`channels`: the rows as the page words them)."""
    counts = _alerts().progress(info.ref)
    done = sum(counts[s] for s in ("sent", "delivered", "failed", "cancelled", "opted_out"))
    by_channel = _alerts().by_channel([info.id])[info.id]
    return {
        "ref": info.ref,
        "status": phase(info, counts),
        "recipients": info.recipients,
        "done": done,
        **counts,
        "by_channel": by_channel,
        "channels": progress_rows(by_channel) if beyond_sims(by_channel) else [],
    }


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    info = _require(ref)
    names = _list_names()
    progress = _progress(info)
    return render_template(
        "alert_detail.html",
        a=info,
        progress=progress,
        lists=[names.get(i, f"list {i}") for i in info.list_ids],
        when=_when,
        replies=[(shown_number(s), text, _when(at)) for s, text, at in _alerts().replies(info.ref)],
        live=progress["status"] in LIVE,
    )


@bp.route("/<ref>/progress")
@login_required
def progress(ref: str) -> Any:
    return jsonify(_progress(_require(ref)))


@bp.route("/<ref>/cancel", methods=["POST"])
@role_required("operator")
def cancel(ref: str) -> Any:
    """Stop what no modem has taken yet; Alerts.cancel records it in the audit log."""
    info = _require(ref)
    status = _progress(info)["status"]
    if status not in LIVE:
        flash(f"{info.ref} is {status}: nothing left to cancel.")
    else:
        stopped = _alerts().cancel(info.ref, by=current_user.username)
        flash(f"{info.ref} cancelled: {stopped:,} message(s) not sent.")
    return redirect(url_for(".detail", ref=info.ref))


@bp.route("/<ref>/resend", methods=["POST"])
@role_required("operator")
def resend(ref: str) -> Any:
    """Queue again only the failed; Alerts.resend_failed records it in the audit log."""
    info = _require(ref)
    if info.status == "cancelled":
        flash(f"{info.ref} was cancelled: nothing is sent again.")
    else:
        count = _alerts().resend_failed(info.ref, by=current_user.username)
        flash(f"{info.ref}: {count:,} failed message(s) queued again.")
    return redirect(url_for(".detail", ref=info.ref))
