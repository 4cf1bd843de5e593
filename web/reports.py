"""Reports: sightings per day and per place, and CSV exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
