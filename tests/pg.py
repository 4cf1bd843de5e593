"""A real PostgreSQL server for the tests: Debian's binaries, a throw-away cluster on a
loopback port, started once per test session and gone after it.

`pytest --db postgresql` runs every test that uses the `db_url` or `engine` fixture on a
fresh database of this server instead of a fresh SQLite file; the `pg_server` fixture
gives tests that are about PostgreSQL itself (several gateways, LISTEN/NOTIFY) a server
whatever `--db` says. The cluster trades durability for speed (fsync off): it is the
database's behaviour under concurrency that is tested here, not its disks.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

_databases = itertools.count(1)


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


@dataclass
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"smsgw_test_{os.getpid()}_{next(_databases)}"
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        admin.dispose()
        return self.url(name)


def _bin_dir() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name),
    )
    assert found, "PostgreSQL's server is not installed: `make test` installs Debian's postgresql"
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(owner: pwd.struct_passwd | None) -> dict[str, int]:
    # PostgreSQL refuses to run as root; CI runs the tests as root.
    return {"user": owner.pw_uid, "group": owner.pw_gid} if owner else {}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bin_dir = _bin_dir()
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="smsgw-pg-"))
    if owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", _free_port()
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "smsgw", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        **_as_owner(owner),  # type: ignore[arg-type]
    )
    with (root / "server.log").open("ab") as log:
        server = subprocess.Popen(
            [
                bin_dir / "postgres",
                "-D",
                data,
                "-p",
                str(port),
                "-k",
                root,
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            **_as_owner(owner),  # type: ignore[arg-type]
        )
    pg = PgServer("127.0.0.1", port, "smsgw")
    deadline = time.monotonic() + 30
    probe = create_engine(pg.url(), poolclass=NullPool)
    while True:
        try:
            probe.connect().close()
            break
        except OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((root / "server.log").read_text()) from None
            time.sleep(0.1)
    yield pg
    server.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients, stop
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    shutil.rmtree(root, ignore_errors=True)
