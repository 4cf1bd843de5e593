"""What a view needs from the app: the config, the database engine, the gateway's
services, and numbers as the signed-in user may see them."""

from __future__ import annotations

from typing import cast

from flask import current_app
from flask_login import current_user
from sqlalchemy import Engine

from gateway.app.services import Services
from gateway.core.config import Config
from gateway.core.privacy import mask, mask_in_text


def engine() -> Engine:
    return cast(Engine, current_app.config["SMSGW_ENGINE"])


def config() -> Config:
    return cast(Config, current_app.config["SMSGW_CONFIG"])


def services() -> Services:
    """The outbox, subscribers, alerts, rota, sightings...: built once per app by create_app."""
    return cast(Services, current_app.extensions["smsgw"])


def whole_numbers() -> bool:
    """Operators and admins ring people back, so they see whole numbers; viewers a mask."""
    return bool(current_user.is_authenticated and current_user.can("operator"))


def shown_number(phone: str) -> str:
    """A phone number as the signed-in user may see it (the one rule for every page)."""
    return phone if whole_numbers() else mask(phone)


def shown_text(text: str) -> str:
    """One of the gateway's own texts (a forward, a notice) as the user may see it."""
    return text if whole_numbers() else mask_in_text(text)
