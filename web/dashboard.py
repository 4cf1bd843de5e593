"""The dashboard, the inbox and the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_login import login_required

from gateway.app import reports
from gateway.core import audit
from gateway.core.db import utcnow
from gateway.inbox import troubles
from gateway.modems import status as modem_status
from gateway.sightings import queries as sighting_queries
from web.auth import role_required
from web.channel_view import sender_counts, senders
from web.context import config, engine, services
from web.sighting_live import feed, with_standing
from web.sighting_view import desk, number, when
from web.sightings import view_rows

bp = Blueprint("dashboard", __name__)

OPEN_SHOWN = 25  # open sightings on the dashboard; the rest are a click away
TAKEN_SHOWN = 10  # taken and not yet closed: who has what
ROTA_DAYS = 7


@bp.route("/")
@login_required
def index() -> Any:
    cfg = config()
    eng = engine()
    sightings = desk()
    primary, backup = sightings.rota.on_duty()
    sent, received = reports.messages_last_hour(eng)
    sims, others = senders(modem_status.all_modems(eng))
    now = utcnow()
    return render_template(
        "dashboard.html",
        counts=services().outbox.counts(),
        troubles=troubles.count(eng),
        modems=sims,
        senders=others,  # hosted SMS services and email: no signal or SIM to show
        sender_counts=sender_counts,
        last_hour=sent,
        received_last_hour=received,
        inbound=services().inbox.recent(10),
        open_rows=with_standing(view_rows(sightings.search(status="open", limit=OPEN_SHOWN)), now),
        taken_rows=with_standing(
            view_rows(sightings.search(status="acknowledged", limit=TAKEN_SHOWN)), now
        ),
        sighting_counts=sightings.counts(),
        hot=sighting_queries.hot_vehicles(eng, cfg.rota.correlation_window),
        primary=primary,
        backup=backup,
        handover=sightings.rota.next_handover(days=ROTA_DAYS),
        gaps=sightings.rota.gaps(ROTA_DAYS),
        when=when,
        number=number,
        updated=when(now, "%H:%M:%S"),
    )


@bp.route("/watch")
@login_required
def watch() -> Any:
    """The open reports for static/watch.js, polled from every page."""
    response = jsonify(feed())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/inbox")
@login_required
def inbox() -> Any:
    limit = min(500, max(1, request.args.get("limit", 100, type=int) or 100))
    eng = engine()
    return render_template(
        "inbox.html",
        rows=services().inbox.recent(limit),
        troubled=troubles.texts(eng),
        kept=troubles.kept_pdus(eng),
        parked=troubles.parked_messages(eng),
    )


@bp.route("/audit")
@role_required("admin")
def audit_log() -> Any:
    actor = request.args.get("actor", "").strip()
    action = request.args.get("action", "").strip()
    return render_template(
        "audit.html",
        rows=audit.entries(engine(), actor=actor, action=action),
        actor=actor,
        action=action,
        printable=audit.printable,  # what someone typed, shown on one line
    )
