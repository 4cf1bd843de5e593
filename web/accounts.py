"""Console users and their roles (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("accounts", __name__, url_prefix="/users")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
