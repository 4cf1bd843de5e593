"""Reports: sightings per day and per place as server-drawn SVG charts, and CSV exports
of sightings and alerts for a spreadsheet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from gateway.app import patrol_report, reports
from gateway.app.reports import Period, ReportError
from gateway.core import audit
from web.context import engine
from web.sighting_view import zone

bp = Blueprint("reports", __name__, url_prefix="/reports")

DEFAULT_DAYS = 30
DAY_CHART = (720, 220, 36, 44)  # width, height, left margin (counts), bottom (dates)
MOST_DAY_LABELS = 15  # beyond this the dates under the bars overlap: label every k-th
PLACE_ROW, PLACE_LABEL, PLACE_BAR = 22, 170, 480  # px per place, label width, longest bar
POINT_ROW = 40  # px per patrol point: a visits bar above a sightings bar
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    labelled: bool = True


def _period() -> Period:
    """The local days asked for, both included; the last 30 days when none are given."""
    default = reports.last_days(DEFAULT_DAYS, zone())
    try:
        first = date.fromisoformat(request.args.get("from") or default.first.isoformat())
        last = date.fromisoformat(request.args.get("to") or default.last.isoformat())
    except ValueError:
        raise ReportError("give dates as YYYY-MM-DD") from None
    return Period(first, last, zone())


def day_bars(per_day: list[tuple[date, int]]) -> tuple[list[Bar], int]:
    """Vertical bars, one per day, and the top of the scale."""
    width, height, left, bottom = DAY_CHART
    top = max([n for _, n in per_day] + [1])
    slot = (width - left) / max(1, len(per_day))
    every = math.ceil(len(per_day) / MOST_DAY_LABELS)
    bars = []
    for i, (day, n) in enumerate(per_day):
        h = (height - bottom - 10) * n / top
        bars.append(
            Bar(
                day.strftime("%d %b"),
                n,
                left + i * slot + slot * 0.1,
                height - bottom - h,
                slot * 0.8,
                h,
                labelled=i % every == 0,
            )
        )
    return bars, top


def place_bars(per_place: list[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars, one per place, the most reported first."""
    top = max([n for _, n in per_place] + [1])
    return [
        Bar(place or "(no place given)", n, PLACE_LABEL, i * PLACE_ROW, PLACE_BAR * n / top, 16)
        for i, (place, n) in enumerate(per_place)
    ]


def point_bars(counts: list[patrol_report.PointCounts]) -> list[tuple[Bar, Bar]]:
    """Per point, a visits bar and a sightings bar on one scale, so the gap shows."""
    top = max([max(c.visits, c.sightings) for c in counts] + [1])
    pairs = []
    for i, c in enumerate(counts):
        label, y = f"{c.code} {c.name}", i * POINT_ROW
        pairs.append(
            (
                Bar(label, c.visits, PLACE_LABEL, y, PLACE_BAR * c.visits / top, 16),
                Bar(label, c.sightings, PLACE_LABEL, y + 17, PLACE_BAR * c.sightings / top, 16),
            )
        )
    return pairs


@bp.route("/")
@login_required
def index() -> Any:
    try:
        period = _period()
    except ReportError as exc:
        period, error = reports.last_days(DEFAULT_DAYS, zone()), str(exc)
    else:
        error = ""
    per_day = reports.sightings_per_day(engine(), period)
    days, top = day_bars(per_day)
    places = place_bars(reports.sightings_per_place(engine(), period))
    points = point_bars(patrol_report.visits_and_sightings(engine(), period))
    return render_template(
        "report.html",
        period=period,
        error=error,
        total=sum(n for _, n in per_day),
        days=days,
        top=top,
        places=places,
        day_chart=DAY_CHART,
        place_height=max(1, len(places)) * PLACE_ROW,
        place_width=PLACE_LABEL + PLACE_BAR + 50,
        points=points,
        point_height=max(1, len(points)) * POINT_ROW,
    ), (400 if error else 200)


def _download(text: str, name: str) -> Response:
    # The BOM makes Excel read UTF-8 (names like Siân) rather than the Windows code page.
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/sightings.csv")
@login_required
def sightings_csv() -> Any:
    try:
        period = _period()
    except ReportError as exc:
        return Response(str(exc), 400, mimetype="text/plain")
    show = current_user.can("operator")
    text = reports.sightings_csv(engine(), period, show_numbers=show)
    audit.record(
        engine(),
        current_user.username,
        "sightings-exported",
        f"{period.first} to {period.last}{'' if show else ', numbers masked'}",
    )
    return _download(text, f"sightings-{period.first}-{period.last}.csv")


@bp.route("/alerts.csv")
@login_required
def alerts_csv() -> Any:
    try:
        period = _period()
    except ReportError as exc:
        return Response(str(exc), 400, mimetype="text/plain")
    text = reports.alerts_csv(engine(), period)
    return _download(text, f"alerts-{period.first}-{period.last}.csv")


@bp.route("/workbook.xlsx")
@login_required
def workbook_xlsx() -> Any:
    """The CSVs' rows in one typed workbook, patrol visits added; viewers see masked numbers."""
    try:
        period = _period()
    except ReportError as exc:
        return Response(str(exc), 400, mimetype="text/plain")
    from gateway.app import workbook  # openpyxl: loaded by the first download, not at start

    show = current_user.can("operator")
    data = workbook.export(engine(), period, show_numbers=show)
    audit.record(
        engine(),
        current_user.username,
        "workbook-exported",
        f"{period.first} to {period.last}{'' if show else ', numbers masked'}",
    )
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": (
                f'attachment; filename="smsgw-{period.first}-{period.last}.xlsx"'
            )
        },
    )
