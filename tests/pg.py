"""A real PostgreSQL server for the tests, started once per test session (bench/pgserver.py).

`pytest --db postgresql` runs every test that uses the `db_url` or `engine` fixture on a
fresh database of this server instead of a fresh SQLite file; the `pg_server` fixture
gives tests that are about PostgreSQL itself (several gateways, LISTEN/NOTIFY) a server
whatever `--db` says.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.pgserver import PgServer, throwaway_server

__all__ = ["PgServer", "pg_server"]


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--db", "sqlite") == "postgresql":
        # Engines that tests build and drop without dispose() leave psycopg connections to
        # the garbage collector, which warns; SQLite's connections do not. It is test
        # hygiene, not a fault of the gateway (whose engines are disposed on stop).
        config.addinivalue_line(
            "filterwarnings",
            "ignore:Exception ignored in. <function BaseConnection.__del__"
            ":pytest.PytestUnraisableExceptionWarning",
        )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with throwaway_server() as server:
        yield server
