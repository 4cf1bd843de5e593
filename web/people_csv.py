"""Subscriber CSV files in the console: the same format and code as `smsgw subscribers
import` and `export` (header `phone,name,lists,email,channel`, the last two optional on
import; formula cells escaped by csv_io)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from gateway.subscribers import csv_io
from web.auth import role_required
from web.context import config, engine

bp = Blueprint("csv", __name__)

SHOWN_BAD_ROWS = 500  # a report longer than this is a wrong file, not rows to fix one by one
SHOWN_ROW_CHARS = 300


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str
    row: str  # the row as it was in the file, shown escaped


@bp.route("/export.csv")
@role_required("operator")
def export() -> Any:
    return download(None, "subscribers.csv")


def download(list_id: int | None, name: str) -> Response:
    """Everyone, or one list's members, as a CSV attachment (export_csv audits it)."""
    out = io.BytesIO()
    csv_io.export_csv(engine(), out, by=current_user.username, list_id=list_id)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",  # personal data: no copy left in a browser cache
        },
    )


@bp.route("/import", methods=["GET", "POST"])
@role_required("operator")
def import_file() -> Any:
    if request.method == "GET":
        return render_template("subscriber_import.html")
    upload = request.files.get("file")
    skip_bad = request.form.get("skip_bad") == "yes"
    if upload is None or not upload.filename:
        return render_template("subscriber_import.html", error="Choose a CSV file."), 400
    try:
        text = csv_io.read_text(upload.stream)
        report = csv_io.import_csv(
            engine(),
            io.StringIO(text),
            country=config().gateway.country,
            skip_bad=skip_bad,
            by=current_user.username,
            gazetteer=config().rota.gazetteer,
        )
    except (csv_io.CsvError, csv_io.ImportConflict) as exc:
        return render_template("subscriber_import.html", error=str(exc), skip_bad=skip_bad), 400
    shown = report.bad[:SHOWN_BAD_ROWS]
    rows = csv_io.row_texts(text, {bad.line for bad in shown})
    problems = [Problem(b.line, b.reason, rows.get(b.line, "")[:SHOWN_ROW_CHARS]) for b in shown]
    return render_template(
        "subscriber_import.html",
        report=report,
        problems=problems,
        skip_bad=skip_bad,
        filename=upload.filename,
        written=bool(report.imported),
    )
