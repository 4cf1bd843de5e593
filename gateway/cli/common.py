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


_opened: list[Engine] = []


def open_db(config: config_mod.Config) -> Engine:
    """The database, migrated to the newest schema (idempotent, so every command may ask;
    one query when it is current already). Closed by `close_databases` when the command
    ends."""
    from gateway.core import migrate
    from gateway.core.db import make_engine

    engine = make_engine(config.database.url)
    _opened.append(engine)
    migrate.ensure_current(engine)
    return engine


def close_databases() -> None:
    """Close what the command opened: a process that exits would drop the connections
    anyway, but a command run in-process (tests, a script calling `main`) must not leave
    them to the garbage collector (psycopg warns of each)."""
    while _opened:
        _opened.pop().dispose()


def open_services(config: config_mod.Config) -> Services:
    """The services over the migrated database; each is built when first used."""
    from gateway.app.services import Services

    return Services(config, open_db(config))
