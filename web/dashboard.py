"""The dashboard, the inbox and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required
from sqlalchemy import func, select

from gateway import audit, modem_status
from gateway.db import utcnow
from gateway.inbound import Inbox
from gateway.models import Message
from gateway.outbox import Outbox
from web.auth import role_required
from web.context import config, engine

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index() -> Any:
    cfg = config()
    eng = engine()
    with eng.connect() as conn:
        last_hour = conn.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.sent_at >= utcnow() - timedelta(hours=1))
        )
    return render_template(
        "dashboard.html",
        counts=Outbox(eng, cfg.outbox, cfg.node).counts(),
        modems=modem_status.all_modems(eng),
        last_hour=last_hour or 0,
        inbound=Inbox(eng, cfg.inbound).recent(10),
    )


@bp.route("/inbox")
@login_required
def inbox() -> Any:
    limit = min(500, max(1, request.args.get("limit", 100, type=int) or 100))
    return render_template("inbox.html", rows=Inbox(engine(), config().inbound).recent(limit))


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
    )
