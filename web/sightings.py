"""Sightings: the list, detail, acknowledge, close, relay."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("sightings", __name__, url_prefix="/sightings")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
