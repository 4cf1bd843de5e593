"""Patrol points (/patrols): the points, a new one, each point's check-in QR code, the
A4 briefing sheet, the suggested patrols and the check-ins officers texted, from the same
rota service as `smsgw patrols`.

The QR code and the sheet are what `smsgw qr --patrol` and `smsgw patrols sheet` write:
scanning opens an SMS to the gateway reading `PATROL <CODE> `.
"""

from __future__ import annotations

import io
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from gateway.core import audit, clock
from gateway.core.db import utcnow
from gateway.rota.patrols import PatrolError, PatrolPointInfo, Patrols
from web.auth import role_required
from web.context import config, engine

bp = Blueprint("patrols", __name__, url_prefix="/patrols")

QR_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
DAYS = 14  # the window the suggestions read, as the issue asks
MAX_DAYS = 90
VISITS_SHOWN = 100  # the newest check-ins of the window; the CLI and the workbook have all


def _patrols() -> Patrols:
    return Patrols(engine(), config())


def _days() -> float:
    """The ?days= window, 1-90; the default otherwise (a bad value is not an error page)."""
    try:
        days = float(request.args.get("days", DAYS))
    except ValueError:
        return DAYS
    return days if 1 <= days <= MAX_DAYS else DAYS


def _local(at: datetime) -> datetime:
    return clock.to_local(at, config().gateway.timezone)


def _page(error: str = "", form: Any = None) -> str:
    patrols = _patrols()
    days = _days()
    return render_template(
        "patrols.html",
        points=patrols.points(),
        suggestion=patrols.suggested(days=days),
        visits=patrols.visits(since=utcnow() - timedelta(days=days), limit=VISITS_SHOWN),
        visits_shown=VISITS_SHOWN,
        local=_local,
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
        made = _patrols().add(
            request.form.get("code", ""),
            request.form.get("name", ""),
            request.form.get("location", ""),
        )
    except PatrolError as exc:
        return _page(str(exc), request.form), 400
    audit.record(engine(), current_user.username, "patrol-added", f"{made.code} ({made.name})")
    flash(f"Patrol point {made.code} added: officers check in by texting PATROL {made.code}.")
    return redirect(url_for(".index"))


def _number() -> str:
    number = config().gateway.number
    if not number:
        abort(409, description="Set gateway.number (the gateway's own number) for QR codes.")
    return number


def _find(code: str) -> PatrolPointInfo:
    found = _patrols().point(code)
    if found is None:
        abort(404)
    return found


@bp.route("/<code>/qr.<kind>")
@login_required
def qr(code: str, kind: str) -> Any:
    from gateway.rota.patrol_qr import write_patrol_qr

    if kind not in QR_TYPES:
        abort(404)
    point = _find(code)
    number = _number()
    with tempfile.TemporaryDirectory(prefix="smsgw-patrol-") as tmp:
        out = Path(tmp) / f"patrol-{point.code.lower()}.{kind}"
        try:
            write_patrol_qr(number, point.code, out, region=config().gateway.country)
        except PatrolError as exc:
            abort(409, description=str(exc))
        data = out.read_bytes()
    return send_file(
        io.BytesIO(data), mimetype=QR_TYPES[kind], as_attachment=True, download_name=out.name
    )


@bp.route("/sheet.svg")
@login_required
def sheet() -> Any:
    from gateway.rota.patrol_sheet import briefing_svg
    from gateway.rota.patrol_suggest import recent_near

    number = _number()
    patrols = _patrols()
    days = _days()
    gateway = config().gateway
    try:
        svg = briefing_svg(
            patrols.suggested(days=days),
            recent_near(patrols.engine, patrols.points(), days),
            number=number,
            region=gateway.country,
            zone=gateway.timezone,
        )
    except PatrolError as exc:
        abort(409, description=str(exc))
    return send_file(
        io.BytesIO(svg.encode()),
        mimetype="image/svg+xml",
        as_attachment=True,
        download_name="patrol-briefing.svg",
    )
