"""What a view needs from the app: the config and the database engine."""

from __future__ import annotations

from typing import cast

from flask import current_app
from sqlalchemy import Engine

from gateway.config import Config


def engine() -> Engine:
    return cast(Engine, current_app.config["SMSGW_ENGINE"])


def config() -> Config:
    return cast(Config, current_app.config["SMSGW_CONFIG"])
