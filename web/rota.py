"""The duty rota: a week grid, shifts and operators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("rota", __name__, url_prefix="/rota")


@bp.route("/")
@login_required
def index() -> Any:
    return "placeholder: being built"
