"""The duty rota: a week grid with the gaps in red, operators and their shifts.

Everyone signed in reads it; only admins change it. The grid and the forms speak the
configured time zone's wall clock; the service gets naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from gateway.core import audit, clock
from gateway.core.db import utcnow
from gateway.core.phone import InvalidNumber
from gateway.core.privacy import mask
from gateway.rota import cover as coverage
from gateway.rota.service import MAX_NAME, OperatorInfo, Rota, RotaError
from web.auth import role_required
from web.context import config, engine, services, shown_number

bp = Blueprint("rota", __name__, url_prefix="/rota")

LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def _rota() -> Rota:
    return services().rota


def _zone() -> ZoneInfo:
    return ZoneInfo(config().gateway.timezone)


def _local(utc: datetime) -> datetime:
    return clock.to_local(utc, _zone())


def _utc(wall: datetime) -> datetime:
    """A time on the configured wall clock (unless it carries an offset) as naive UTC."""
    return clock.to_utc(wall, _zone())


def _from_local(text: str, what: str) -> datetime:
    try:
        return clock.parse_local(text.strip(), _zone())
    except clock.BadTime:
        raise RotaError(f"the {what} is not a date and time") from None


def _monday(text: str | None) -> date:
    try:
        day = date.fromisoformat(text) if text else datetime.now(_zone()).date()
    except ValueError:
        day = date.min  # refused just below
    if not date.min.year < day.year < date.max.year:
        abort(400, "week must be a date such as 2026-11-23")
    return day - timedelta(days=day.weekday())


def _week_span(monday: date) -> tuple[datetime, datetime]:
    """The week as naive UTC: from one local Monday midnight to the next, DST included."""
    midnight = datetime.combine(monday, time(0))
    return _utc(midnight), _utc(midnight + timedelta(days=7))


def tense(cell: coverage.GridCell, now: datetime) -> tuple[str, float]:
    """("past", 0) once a slot's real time is over, ("now", how far into it, 0-100) while
    it runs, else ("", 0): an hour gone by with nobody on duty is history, not a gap to
    fill, and the grid must not paint it like one."""
    total = sum((b - a).total_seconds() for a, b in cell.spans)
    if not total:
        return "", 0.0
    if all(b <= now for _, b in cell.spans):
        return "past", 0.0
    if any(a <= now < b for a, b in cell.spans):
        done = sum((min(b, now) - a).total_seconds() for a, b in cell.spans if a <= now)
        return "now", round(100 * done / total, 1)
    return "", 0.0


def _shown_phone(op: OperatorInfo) -> str:
    """Viewers read the rota but have no business calling an officer directly."""
    return shown_number(op.phone)


def _page(monday: date, *, error: str = "", form: Any = None, status: int = 200) -> Any:
    rota = _rota()
    now = utcnow()
    start, end = _week_span(monday)
    shifts = sorted(rota.shifts(start, end), key=lambda s: (s.start, s.role, s.id))
    active, former = rota.operators(), rota.operators(active=False)
    names = {op.id: op.name for op in active + former}
    html = render_template(
        "rota.html",
        monday=monday,
        days=[monday + timedelta(days=n) for n in range(7)],
        grid=coverage.week_grid(shifts, monday, _zone()),
        shifts=shifts,
        gaps=rota.gaps(7, now),
        horizon=now + timedelta(days=7),
        names=names,
        operators=[(op, _shown_phone(op)) for op in active],
        former=[(op, _shown_phone(op)) for op in former],
        local=_local,
        fmt=LOCAL_INPUT,
        timedelta_week=timedelta(days=7),
        zone=config().gateway.timezone,
        today=datetime.now(_zone()).date(),
        tense=lambda cell: tense(cell, now),
        error=error,
        form=form or {},
    )
    return html, status


@bp.route("/")
@login_required
def index() -> Any:
    return _page(_monday(request.args.get("week")))


def _operator_id(rota: Rota, text: str) -> int:
    """A shift goes only to someone still on the rota."""
    wanted = int(text) if text.isdigit() else 0
    if not any(op.id == wanted for op in rota.operators()):
        raise RotaError("choose an operator")
    return wanted


def _shift_fields(rota: Rota) -> tuple[int, datetime, datetime, str]:
    f = request.form
    return (
        _operator_id(rota, f.get("operator_id", "")),
        _from_local(f.get("start", ""), "start"),
        _from_local(f.get("end", ""), "end"),
        f.get("role", "primary"),
    )


@bp.route("/operators", methods=["POST"])
@role_required("admin")
def add_operator() -> Any:
    f = request.form
    name = f.get("name", "").strip()
    try:
        if not 1 <= len(name) <= MAX_NAME:
            raise RotaError(f"an operator needs a name of 1-{MAX_NAME} characters")
        op = _rota().add_operator(name, f.get("phone", ""), f.get("pin", "").strip())
    except (RotaError, InvalidNumber) as exc:
        return _page(_monday(f.get("week")), error=str(exc), form=f, status=400)
    audit.record(engine(), current_user.username, "rota-operator-added", _op_detail(op))
    flash(f"Operator {op.name} added.")
    return redirect(url_for(".index", week=f.get("week")))


def _op_detail(op: OperatorInfo) -> str:
    return f"{op.id} {op.name} {mask(op.phone)}"


def _require_operator(rota: Rota, op_id: int) -> OperatorInfo:
    found = rota.operator(op_id)
    if found is None:
        abort(404)
    return found


@bp.route("/operators/<int:op_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_operator(op_id: int) -> Any:
    rota = _rota()
    op = _require_operator(rota, op_id)
    if request.method == "GET":
        return render_template("rota_operator.html", op=op, form={}, error="")
    f = request.form
    try:
        op = rota.update_operator(
            op_id,
            f.get("name", ""),
            f.get("phone", ""),
            pin=f.get("pin", "").strip(),
            by=current_user.username,
        )
    except (RotaError, InvalidNumber) as exc:
        return render_template("rota_operator.html", op=op, form=f, error=str(exc)), 400
    flash(f"Operator {op.name} saved.")
    return redirect(url_for(".index"))


@bp.route("/operators/<int:op_id>/active", methods=["POST"])
@role_required("admin")
def set_active(op_id: int) -> Any:
    rota = _rota()
    op = _require_operator(rota, op_id)
    active = request.form.get("active") == "1"
    ended = rota.set_active(op_id, active, by=current_user.username)
    if active:
        flash(f"{op.name} is back on the rota.")
    else:
        flash(f"{op.name} is off the rota; {ended} shift(s) of theirs ended.")
    return redirect(url_for(".index"))


@bp.route("/shifts", methods=["POST"])
@role_required("admin")
def add_shift() -> Any:
    rota = _rota()
    try:
        op_id, start, end, role = _shift_fields(rota)
        shift_id = rota.add_shift(op_id, start, end, role=role, by=current_user.username)
    except RotaError as exc:
        return _page(
            _monday(request.form.get("week")), error=str(exc), form=request.form, status=400
        )
    added = rota.shift(shift_id)
    assert added is not None
    audit.record(engine(), current_user.username, "rota-shift-added", rota.describe(added))
    flash("Shift added.")
    return redirect(url_for(".index", week=_local(start).date().isoformat()))


def _require_shift(rota: Rota, shift_id: int) -> coverage.Shift:
    found = rota.shift(shift_id)
    if found is None:
        abort(404)
    return found


@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_shift(shift_id: int) -> Any:
    rota = _rota()
    shift = _require_shift(rota, shift_id)
    page = {
        "shift": shift,
        "operators": rota.operators(),
        "local": _local,
        "fmt": LOCAL_INPUT,
        "zone": config().gateway.timezone,
    }
    if request.method == "GET":
        return render_template("rota_shift.html", form={}, error="", **page)
    try:
        op_id, start, end, role = _shift_fields(rota)
        rota.update_shift(shift_id, op_id, start, end, role=role, by=current_user.username)
    except RotaError as exc:
        return render_template("rota_shift.html", form=request.form, error=str(exc), **page), 400
    flash("Shift saved.")
    return redirect(url_for(".index", week=_local(start).date().isoformat()))


@bp.route("/shifts/<int:shift_id>/delete", methods=["POST"])
@role_required("admin")
def delete_shift(shift_id: int) -> Any:
    rota = _rota()
    shift = _require_shift(rota, shift_id)
    rota.delete_shift(shift_id, by=current_user.username)
    flash("Shift deleted.")
    return redirect(url_for(".index", week=_local(shift.start).date().isoformat()))
