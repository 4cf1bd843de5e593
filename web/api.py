"""The token-authenticated JSON API and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
