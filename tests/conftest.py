"""Shared fixtures: a real SQLite file per test (or, with `--db postgresql`, a fresh
PostgreSQL database), migrated with the real migrations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gateway.core import migrate
from gateway.core.db import make_engine

# Fixtures: `console` (web_client), `live_system` and `browser_page` (browser), `pg_server` (pg).
pytest_plugins = ["web_client", "browser", "pg"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--modem-port",
        default=None,
        help="a real modem's port: runs the tests marked 'hardware' against it",
    )
    parser.addoption(
        "--db",
        default="sqlite",
        choices=("sqlite", "postgresql"),
        help="the database behind the `db_url` and `engine` fixtures (default: sqlite)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `hardware` run only with --modem-port; otherwise they are deselected
    (not skipped: nothing is missing, there is just no dongle on this machine)."""
    if config.getoption("--modem-port"):
        return
    keep = [item for item in items if item.get_closest_marker("hardware") is None]
    dropped = [item for item in items if item.get_closest_marker("hardware") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.config.getoption("--db") == "postgresql":
        return str(request.getfixturevalue("pg_server").new_database())
    return f"sqlite:///{tmp_path / 'smsgw.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
