"""Alerts: compose, list, detail with live progress, cancel."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
