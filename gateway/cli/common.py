"""What every subcommand needs: its config, its database, its services, one way to fail."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from gateway.core import config as config_mod

if TYPE_CHECKING:  # imported when a command opens the database: not `smsgw send`'s path
    from sqlalchemy import Engine

    from gateway.app.services import Services


class UsageError(Exception):
    """Bad usage: exit status 2."""


def fail(message: str, code: int = 1) -> int:
    print(f"smsgw: {message}", file=sys.stderr)
    return code


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def load_config(args: argparse.Namespace) -> config_mod.Config:
    return config_mod.load(getattr(args, "config", None))


def open_db(config: config_mod.Config) -> Engine:
    """The database, migrated to the newest schema (idempotent, so every command may ask;
    one query when it is current already)."""
    from gateway.core import migrate
    from gateway.core.db import make_engine

    engine = make_engine(config.database.url)
    migrate.ensure_current(engine)
    return engine


def open_services(config: config_mod.Config) -> Services:
    """The services over the migrated database; each is built when first used."""
    from gateway.app.services import Services

    return Services(config, open_db(config))
