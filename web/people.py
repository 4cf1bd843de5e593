"""Subscribers and lists: search, edit, erase, CSV import and export, QR badges."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("people", __name__, url_prefix="/subscribers")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
