"""Schema migrations (Alembic), run from code so `smsgw db upgrade` needs no alembic.ini.

Every command makes sure the schema is current; most of the time it is, and one query
tells. Alembic (over a tenth of a second to import) is imported only to upgrade.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy too is imported when used: `smsgw send` reads HEAD only
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent.parent / "migrations"

# The newest revision in gateway/migrations/versions/. A new migration changes it too:
# tests/test_migrations.py checks it against Alembic's own head.
HEAD = "0018"
UPGRADE_LOCK = 0x736D_7367  # PostgreSQL advisory lock key: one upgrade at a time ("smsg")


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine) -> str:
    """Bring the schema to the newest revision; returns it."""
    from alembic import command

    cfg = alembic_config(engine)
    with _one_at_a_time(engine), engine.begin() as conn:
        _wait_for_other_upgrades(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")  # after another's upgrade: finds the head, does nothing
    return head(engine)


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """Two commands started together on a new SQLite database (the daemon and the console,
    say) must not both create the tables: SQLite commits DDL table by table, so the second
    would fail on a table the first made. A lock file beside the database serialises them."""
    from gateway.core.db import sqlite_path

    path = sqlite_path(engine.url.render_as_string())
    if path is None:
        yield
        return
    with open(f"{path}.migrate", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # the lock goes with the descriptor


def _wait_for_other_upgrades(conn: Connection) -> None:
    """On PostgreSQL, several gateways restarting after an update upgrade one at a time;
    the lock is the transaction's, so it is released with the upgrade's commit."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK})


def ensure_current(engine: Engine) -> str:
    """The schema at the newest revision: upgraded only when the one query on
    `alembic_version` says it is not (a new database has no such table)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:
        found = []
    return HEAD if found == [HEAD] else upgrade(engine)


def head(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head() or ""


def current(engine: Engine) -> str:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""
